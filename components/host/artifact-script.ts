/** Renders the script that verifies an artifact and installs its binaries, leaving the previous ones in place on any failure. */
import { script, shellQuote } from "./bash";

/** Where artifacts are kept on the hosts, by checksum. */
export const ARTIFACT_CACHE = "/var/cache/onprem-k8s/artifacts";

export interface ArtifactInstall {
  /** Artifact name from config, used in messages. */
  readonly name: string;
  readonly sha256: string;
  /** Downloaded by the host when set; otherwise the file was uploaded to `stagedPath(sha256)`. */
  readonly url?: string;
  /** Binaries to take from the archive (matched by file name) and link into `binDir`. */
  readonly binaries: readonly string[];
  /** Where the binaries are linked, such as /opt/cni/bin for CNI plugins. @default "/usr/local/bin" */
  readonly binDir?: string;
  /** The release the artifact must hold: checked before any link changes. @default not checked */
  readonly version?: ArtifactVersion;
}

/** A release's version, as one of its binaries prints it, and the config key that sets it. */
export interface ArtifactVersion {
  /** A binary of `binaries` whose `--version` prints the release, such as kube-apiserver. */
  readonly binary: string;
  /** What `BINARY --version` prints, such as "Kubernetes v1.35.4". */
  readonly expected: string;
  /** The config key that sets the version, named in the error, such as versions.kubernetes. */
  readonly configKey: string;
}

export const DEFAULT_BIN_DIR = "/usr/local/bin";

/**
 * Where a release's binary stays while the release is installed. Units name it rather than the link in `binDir`, so
 * that a new release reaches a daemon only when its own step restarts it, and not when the link changes on every host.
 */
export function releaseBinary(name: string, sha256: string, binary: string): string {
  return `${releaseDir(name, sha256)}/bin/${binary}`;
}

/** Where a release is unpacked, beside the previous ones. */
function releaseDir(name: string, sha256: string): string {
  return `/opt/onprem-k8s/${name}/${sha256}`;
}

/** The path an uploaded artifact is copied to before it is checked. */
export function stagedPath(sha256: string): string {
  return `${ARTIFACT_CACHE}/${sha256}.upload`;
}

export function renderArtifactInstall(a: ArtifactInstall): string {
  const binDir = a.binDir ?? DEFAULT_BIN_DIR;
  const file = `${ARTIFACT_CACHE}/${a.sha256}`;
  const fetch = a.url
    ? `if [[ ! -f $file ]]; then
  curl -fsSL --retry 3 -o "$file.part" ${shellQuote(a.url)} || fail "cannot download ${a.name} from ${a.url}"
  mv -f "$file.part" "$file"
fi`
    : `if [[ ! -f $file ]]; then
  [[ -f ${stagedPath(a.sha256)} ]] || fail "${a.name} was not uploaded to ${stagedPath(a.sha256)}"
  mv -f ${stagedPath(a.sha256)} "$file"
fi`;
  return script(
    `install ${a.name}`,
    `file=${file}
mkdir -p ${ARTIFACT_CACHE}
${fetch}
actual=$(sha256sum "$file" | cut -d' ' -f1)
if [[ $actual != ${a.sha256} ]]; then
  rm -f "$file"
  fail "checksum mismatch for ${a.name}: expected ${a.sha256}, got $actual; the installed binaries are unchanged"
fi
# Unpack beside the previous release and switch the links only when every binary is there.
release=${releaseDir(a.name, a.sha256)}
if [[ ! -d $release ]]; then
  mkdir -p /opt/onprem-k8s/${a.name}
  unpack=$(mktemp -d "/opt/onprem-k8s/${a.name}/.unpack.XXXXXX")
  tar -xzf "$file" -C "$unpack" || { rm -rf "$unpack"; fail "${a.name} is not a readable .tar.gz"; }
  mkdir -p "$unpack/bin"
  for binary in ${a.binaries.map(shellQuote).join(" ")}; do
    found=$(find "$unpack" -type f -name "$binary" ! -path "$unpack/bin/*" | head -n 1)
    [[ -n $found ]] || { rm -rf "$unpack"; fail "${a.name} has no file named $binary"; }
    install -m 0755 "$found" "$unpack/bin/$binary"
  done
  mv -T "$unpack" "$release"
fi
${a.version ? versionCheck(a.name, a.version) : ""}${binDir === DEFAULT_BIN_DIR ? "" : `mkdir -p ${binDir}\n`}for binary in ${a.binaries.map(shellQuote).join(" ")}; do
  ln -sfn "$release/bin/$binary" "${binDir}/.$binary.new"
  mv -T "${binDir}/.$binary.new" "${binDir}/$binary"
done
echo "${a.name} ${a.sha256} installed: ${a.binaries.join(" ")}"`,
  );
}

function versionCheck(name: string, v: ArtifactVersion): string {
  return `printed=$("$release/bin/${v.binary}" --version 2>&1 | head -n 1)
if [[ $printed != ${shellQuote(v.expected)} ]]; then
  fail "artifacts.${name} holds \\"$printed\\", but ${v.configKey} asks for \\"${v.expected}\\": give that release's path or url and sha256, or set ${v.configKey} to the release's; the installed binaries are unchanged"
fi
`;
}

/** Removes the binaries' links, the unpacked release and the cached archive: what the install step put on the host. */
export function renderArtifactRemove(a: Pick<ArtifactInstall, "name" | "sha256" | "binaries" | "binDir">): string {
  const binDir = a.binDir ?? DEFAULT_BIN_DIR;
  return script(
    `remove ${a.name}`,
    `rm -f ${a.binaries.map((b) => shellQuote(`${binDir}/${b}`)).join(" ")}
rm -rf ${shellQuote(releaseDir(a.name, a.sha256))} ${shellQuote(`${ARTIFACT_CACHE}/${a.sha256}`)}`,
  );
}
