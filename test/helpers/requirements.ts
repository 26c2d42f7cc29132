// Tests that need something of the machine (root for a tmpfs or namespaces, util-linux's
// `script`, avahi, the native BLAKE3 package) skip on a developer's machine that lacks it,
// but never in CI: .ci/run installs everything and runs as root, so there a missing
// requirement is a failure to see, not a skip that hides one.
export function missingOutsideCi(missing: unknown): boolean {
  return Boolean(missing) && process.env.CI !== 'true'
}
