/**
 * Building blocks of the host scripts. Every script is plain text from a pure function, so it can be
 * read in a preview, checked against a golden file and linted with shellcheck.
 */

/** Quotes a value for bash as a single word. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

const HEREDOC_END = "ONPREM_K8S_EOF";

/** Feeds `content` verbatim to the standard input of `command` with a quoted here-document. */
export function heredoc(command: string, content: string): string {
  if (content.split("\n").includes(HEREDOC_END)) {
    throw new Error(`content may not contain a line "${HEREDOC_END}"`);
  }
  const body = content.endsWith("\n") ? content : `${content}\n`;
  return `${command} <<'${HEREDOC_END}'\n${body}${HEREDOC_END}`;
}

/**
 * Shell functions every host script starts with:
 * - fail: one clear line on stderr, naming the step and host, then exit 1;
 * - put_file DEST MODE < CONTENT: replaces DEST only when the content differs, keeping DEST.bak,
 *   and sets CHANGED=1 when it did;
 * - restore_files: puts back every file put_file replaced, after the new ones failed their check;
 * - retry N SECONDS CMD...: runs CMD until it succeeds, at most N times.
 */
export function preamble(step: string): string {
  return `#!/usr/bin/env bash
set -euo pipefail
STEP=${shellQuote(step)}
# shellcheck disable=SC2034 # as below
CHANGED=0
CHANGED_FILES=()
fail() { echo "onprem-k8s: $STEP on $(hostname): $*" >&2; exit 1; }
# shellcheck disable=SC2034 # CHANGED is read by the steps that restart on change
put_file() {
  local dest=$1 mode=$2 new
  mkdir -p "$(dirname "$dest")"
  new=$(mktemp "$dest.new.XXXXXX")
  cat >"$new"
  chmod "$mode" "$new"
  if [[ -f $dest ]] && cmp -s "$new" "$dest"; then rm -f "$new"; return 0; fi
  if [[ -f $dest ]]; then cp -p "$dest" "$dest.bak"; else rm -f "$dest.bak"; fi
  mv -f "$new" "$dest"
  CHANGED=1
  CHANGED_FILES+=("$dest")
}
restore_files() {
  local dest
  for dest in "\${CHANGED_FILES[@]}"; do
    if [[ -f $dest.bak ]]; then mv -f "$dest.bak" "$dest"; else rm -f "$dest"; fi
  done
}
retry() {
  local times=$1 pause=$2 i
  shift 2
  for ((i = 1; i <= times; i++)); do
    if "$@"; then return 0; fi
    sleep "$pause"
  done
  return 1
}
`;
}

/**
 * The first line of a unit whose binary an artifact step switches: the unit changes with the release, so the step
 * that owns the unit restarts the daemon on the new binary.
 */
export function releaseComment(release: string, sha256: string): string {
  return `# ${release} release ${sha256}\n`;
}

/** A file's content that comes on the step's stdin (see {@link READ_SECRETS}) instead of in the script. */
export interface SecretFile {
  readonly secret: string;
}

/** The content of the secret NAME, read from the step's stdin. */
export function secretFile(name: string): SecretFile {
  return { secret: name };
}

/** A file a step puts in place: its path, mode and content (text in the script, or a secret from stdin). */
export type FileSpec = [path: string, mode: string, content: string | SecretFile];

/** put_file for each file, in order; CHANGED tells whether any of them changed. */
export function putFiles(files: readonly FileSpec[]): string {
  return files.map(([path, mode, content]) => (typeof content === "string" ? heredoc(`put_file ${path} ${mode}`, content) : `put_file ${path} ${mode} <"$SECRETS/${content.secret}"`)).join("\n");
}

const SECRET_HEADER = "@@secret ";

/**
 * The first section of a script that takes secrets: they come on stdin, never in the script, so the script can be
 * shown in a preview and in a failure. Each secret is a "@@secret NAME" line followed by its value; each lands in
 * "$SECRETS/NAME" on a tmpfs readable by root only, removed when the script ends.
 */
export const READ_SECRETS = `SECRETS=$(umask 077 && mktemp -d /run/onprem-k8s-secrets.XXXXXX)
trap 'rm -rf "$SECRETS"' EXIT
secret_name=
while IFS= read -r line || [[ -n $line ]]; do
  if [[ $line == "${SECRET_HEADER}"* ]]; then
    secret_name=\${line#"${SECRET_HEADER}"}
    : >"$SECRETS/$secret_name"
  elif [[ -n $secret_name ]]; then
    printf '%s\\n' "$line" >>"$SECRETS/$secret_name"
  fi
done
`;

/** A step's stdin: each secret as its "@@secret NAME" line and its value, ending in a newline (as put_file writes it). */
export function secretStdin(secrets: Readonly<Record<string, string>>): string {
  return Object.entries(secrets)
    .map(([name, value]) => {
      if (!/^[a-z0-9][a-z0-9.-]*$/.test(name)) throw new Error(`secret name "${name}" must be lower-case letters, digits, '.' and '-'`);
      if (value.split("\n").some((line) => line.startsWith(SECRET_HEADER))) throw new Error(`secret ${name} may not contain a line starting "${SECRET_HEADER}"`);
      return `${SECRET_HEADER}${name}\n${value.endsWith("\n") ? value : `${value}\n`}`;
    })
    .join("");
}

/** The shell function `apply UNIT CHANGED` of the steps that run daemons: start a stopped one, restart a changed one. */
export const APPLY_DAEMON_FUNCTION = `# apply UNIT CHANGED: starts a stopped daemon, restarts a changed one; prints what it did.
apply() {
  if ! systemctl is-active --quiet "$1"; then
    systemctl start "$1" || true
    echo started
  elif [[ $2 == 1 ]]; then
    systemctl restart "$1" || true
    echo restarted
  else
    echo unchanged
  fi
}
`;

/**
 * Installs Debian packages: from `aptSource` alone when given (a site's own repository, which the host's other
 * sources must not mix into), otherwise from the host's sources; without what they only recommend when `recommends`
 * is false.
 */
export function aptInstall(aptSource: string | undefined, packages: readonly string[], recommends = true): string {
  const names = `${recommends ? "" : "--no-install-recommends "}${packages.join(" ")}`;
  const what = packages.length === 2 ? packages.join(" and ") : `${packages.slice(0, -1).join(", ")} and ${packages[packages.length - 1]}`;
  return aptSource
    ? `${heredoc("put_file /etc/apt/sources.list.d/onprem-k8s.list 0644", aptSource)}
only_ours=(-o Dir::Etc::sourcelist=sources.list.d/onprem-k8s.list -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0)
apt-get "\${only_ours[@]}" update -qq || fail "cannot read the apt source ${aptSource.replace(/"/g, "")}"
DEBIAN_FRONTEND=noninteractive apt-get "\${only_ours[@]}" install -y -qq ${names} >/dev/null || fail "cannot install ${what}"`
    : `apt-get update -qq || fail "apt-get update failed"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${names} >/dev/null || fail "cannot install ${what}"`;
}

/** Joins a script from its preamble and body sections. */
export function script(step: string, ...sections: string[]): string {
  return [preamble(step), ...sections].join("\n") + "\n";
}
