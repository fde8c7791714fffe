package main

// What of a command's run may be shown: a failing command's reason is shown unless the command
// text itself is secret, with every secret value it was given (stdin, environment) redacted.

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

type secrecy struct {
	output  bool     // stdout and stderr are secret outputs and are not streamed
	command bool     // the command text is secret: a failure shows neither it nor its output
	values  []string // secret values given to the command, redacted from what a failure shows
}

// redactMinLen: shorter pieces (a PEM's last line, a bare "=") would redact ordinary words.
const redactMinLen = 4

// secrecyOf: commandKeys are the inputs that hold the command text for this operation.
func secrecyOf(m resource.PropertyMap, a *commandArgs, output bool, commandKeys ...string) secrecy {
	s := secrecy{output: output, command: anySecret(m, commandKeys...)}
	if a.Stdin != nil && anySecret(m, "stdin") {
		s.values = append(s.values, *a.Stdin)
	}
	if env, ok := m["environment"]; ok && env.ContainsSecrets() {
		for _, v := range a.Environment {
			s.values = append(s.values, v)
		}
	}
	return s
}

// redact replaces every line of every secret value (trimmed, longest first) with [secret], so a
// value is hidden whether it is printed whole or a line of it.
func (s secrecy) redact(text string) string {
	var pieces []string
	for _, v := range s.values {
		for _, line := range strings.Split(v, "\n") {
			if line = strings.TrimSpace(line); len(line) >= redactMinLen {
				pieces = append(pieces, line)
			}
		}
	}
	sort.Slice(pieces, func(i, j int) bool { return len(pieces[i]) > len(pieces[j]) })
	for _, p := range pieces {
		text = strings.ReplaceAll(text, p, "[secret]")
	}
	return text
}

// describeCommand names a command in an error: a one-line command quoted (cut at 120 characters),
// a script by its length, since its first line says nothing of where it failed; its stderr does.
func describeCommand(cmd string) string {
	lines := strings.Split(strings.TrimSpace(cmd), "\n")
	if len(lines) > 1 {
		return fmt.Sprintf("running a %d-line script", len(lines))
	}
	first := lines[0]
	if len(first) > 120 {
		first = first[:120] + "..."
	}
	return fmt.Sprintf("running %q", first)
}
