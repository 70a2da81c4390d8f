# Sourced by the test scripts: the processes they start run as an unprivileged user, as users
# run them (the Swift suites do the same through Tests/ZTPTestSupport/Unprivileged.swift).
#
# As root, AS_USER is a `setpriv` prefix for $ZTP_TEST_USER, ztp-test (made by `make setup-test`)
# or nobody, with no supplementary groups; otherwise it is empty. stage_binary copies a binary
# where that user can run it (a clone under `mktemp -d` is closed to others) and prints the path;
# hand_over gives that user a directory the script made.

AS_USER=()
TEST_UID=""
if [ "$(id -u)" = 0 ]; then
    for candidate in "${ZTP_TEST_USER:-}" ztp-test nobody; do
        [ -n "$candidate" ] && id -u "$candidate" >/dev/null 2>&1 && { TEST_UID="$(id -u "$candidate")"; TEST_GID="$(id -g "$candidate")"; break; }
    done
    AS_USER=(setpriv --reuid="$TEST_UID" --regid="$TEST_GID" --clear-groups --)
fi

stage_binary() {
    local path="$1"
    if [ -z "$TEST_UID" ]; then printf '%s\n' "$path"; return; fi
    local folder=/tmp/ztp-test-bin name copy
    name="$(basename "$path")"
    copy="$folder/$name-$(stat -c '%s-%Y' "$path")"
    mkdir -p "$folder" && chmod 0755 "$folder"
    if [ ! -x "$copy" ]; then
        cp "$path" "$copy.$$.partial" && chmod 0755 "$copy.$$.partial" && mv -f "$copy.$$.partial" "$copy"
    fi
    printf '%s\n' "$copy"
}

hand_over() {
    if [ -n "$TEST_UID" ]; then chown -R "$TEST_UID:$TEST_GID" "$@"; fi
}
