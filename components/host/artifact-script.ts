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
}

export const DEFAULT_BIN_DIR = "/usr/local/bin";

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
release=/opt/onprem-k8s/${a.name}/${a.sha256}
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
${binDir === DEFAULT_BIN_DIR ? "" : `mkdir -p ${binDir}\n`}for binary in ${a.binaries.map(shellQuote).join(" ")}; do
  ln -sfn "$release/bin/$binary" "${binDir}/.$binary.new"
  mv -T "${binDir}/.$binary.new" "${binDir}/$binary"
done
echo "${a.name} ${a.sha256} installed: ${a.binaries.join(" ")}"`,
  );
}

/** Removes the binaries' links, the unpacked release and the cached archive: what the install step put on the host. */
export function renderArtifactRemove(a: Pick<ArtifactInstall, "name" | "sha256" | "binaries" | "binDir">): string {
  const binDir = a.binDir ?? DEFAULT_BIN_DIR;
  return script(
    `remove ${a.name}`,
    `rm -f ${a.binaries.map((b) => shellQuote(`${binDir}/${b}`)).join(" ")}
rm -rf ${shellQuote(`/opt/onprem-k8s/${a.name}/${a.sha256}`)} ${shellQuote(`${ARTIFACT_CACHE}/${a.sha256}`)}`,
  );
}
