// Command registry-htpasswd writes and checks the registry's htpasswd lines on its host, so a password reaches the host
// only on a step's standard input and is hashed there with a fresh bcrypt salt (the registry accepts bcrypt only).
//
//	registry-htpasswd USER          < password   prints USER:HASH
//	registry-htpasswd --check FILE USER < password   exits 0 when FILE's line for USER matches the password
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "registry-htpasswd: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 1 && !strings.HasPrefix(args[0], "-"):
		password, err := readPassword()
		if err != nil {
			return err
		}
		hash, err := bcrypt.GenerateFromPassword(password, bcrypt.DefaultCost)
		if err != nil {
			return err
		}
		fmt.Printf("%s:%s\n", args[0], hash)
		return nil
	case len(args) == 3 && args[0] == "--check":
		password, err := readPassword()
		if err != nil {
			return err
		}
		return check(args[1], args[2], password)
	default:
		return fmt.Errorf("usage: registry-htpasswd USER | registry-htpasswd --check FILE USER (password on stdin)")
	}
}

// readPassword takes the first line of stdin; an empty password is refused, since the registry would refuse it too.
func readPassword() ([]byte, error) {
	line, err := bufio.NewReader(os.Stdin).ReadBytes('\n')
	if err != nil && len(line) == 0 {
		return nil, fmt.Errorf("no password on standard input")
	}
	line = bytes.TrimRight(line, "\r\n")
	if len(line) == 0 {
		return nil, fmt.Errorf("empty password on standard input")
	}
	return line, nil
}

func check(file, user string, password []byte) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(data), "\n") {
		name, hash, ok := strings.Cut(line, ":")
		if ok && name == user {
			if bcrypt.CompareHashAndPassword([]byte(hash), password) != nil {
				return fmt.Errorf("%s: the password of %s does not match", file, user)
			}
			return nil
		}
	}
	return fmt.Errorf("%s: no line for %s", file, user)
}
