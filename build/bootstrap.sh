#!/usr/bin/env bash
# Brings this machine to a working Incus for IncusTestKit: installs it, starts the
# daemon, creates storage, network and default profile when missing, and builds
# the local images isb/busybox and isb/debian12. Idempotent: on a machine that is
# already set up it only checks, and changes nothing it does not need to.
#
# Usage: build/bootstrap.sh [--with-go] [--skip-images]
#   --with-go       also put the Go toolchain into isb/debian12 (or ISB_IMAGE_GO=1)
#   --skip-images   do not build or import the images
# Environment: ISB_CACHE_DIR (default /var/cache/incustestkit) holds cached rootfs builds.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_dir=${ISB_CACHE_DIR:-/var/cache/incustestkit}
daemon_log=/var/log/incus/isb-incusd.log
# Written when this script starts incusd itself, so tests that restart the daemon know it is ours to restart.
daemon_pidfile=/run/incustestkit/incusd.pid
socket=${INCUS_SOCKET:-/var/lib/incus/unix.socket}
with_go=${ISB_IMAGE_GO:-0}
skip_images=0
for arg in "$@"; do
    case "$arg" in
        --with-go) with_go=1 ;;
        --skip-images) skip_images=1 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bootstrap: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
    esac
done

started=$SECONDS
say() { printf '[bootstrap] %s\n' "$*"; }
did() { printf '[bootstrap] + %s\n' "$*"; }
die() { printf '[bootstrap] error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and starts the Incus daemon)"

# --- packages --------------------------------------------------------------------

# The Debian mirror apt already uses, taken from an enabled deb822 stanza (or a
# one-line entry) that serves the release's main component, so no host is hard-coded
# and third-party repositories in the same folder are never picked.
debian_mirror() {
    local codename=$1 f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v c="$codename" 'BEGIN { RS = ""; FS = "\n" }
            {
                uris = ""; ok_suite = 0; ok_comp = 0; enabled = 1
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^URIs:/)       { sub(/^URIs:[ \t]*/, "", $i); split($i, u, /[ \t]+/); uris = u[1] }
                    if ($i ~ /^Suites:/)     { if ((" " $i " ") ~ (" " c " ")) ok_suite = 1 }
                    if ($i ~ /^Components:/) { if ((" " $i " ") ~ / main /) ok_comp = 1 }
                    if ($i ~ /^Enabled:[ \t]*no/) enabled = 0
                }
                if (uris != "" && ok_suite && ok_comp && enabled) { print uris; exit }
            }' "$f"
    done | head -n 1 | grep . && return 0
    awk -v c="$codename" '$1 == "deb" && $3 == c && / main/ { print $2; exit }' \
        /etc/apt/sources.list 2>/dev/null | grep .
}

ensure_packages() {
    local need=()
    command -v incus >/dev/null || need+=(incus-client)
    [ -x /usr/libexec/incus/incusd ] || command -v incusd >/dev/null || need+=(incus-base)
    command -v mkfs.btrfs >/dev/null || need+=(btrfs-progs)
    command -v debootstrap >/dev/null || need+=(debootstrap)
    [ -x /bin/busybox ] || need+=(busybox-static)
    # A Recommends of incus-base that the bridge's DHCP cannot do without.
    command -v dnsmasq >/dev/null || need+=(dnsmasq-base)
    # A real terminal for the interactive tests of dotnet isb disp.
    command -v tmux >/dev/null || need+=(tmux)
    # NativeAOT links with gcc (the exec agent always, the native isb when there is no clang) and strips with objcopy.
    # The agent is linked statically, against glibc's libc.a: libc6-dev, only a Recommends of gcc.
    command -v gcc >/dev/null || need+=(gcc)
    command -v objcopy >/dev/null || need+=(binutils)
    [ -f /usr/lib/x86_64-linux-gnu/libc.a ] || need+=(libc6-dev)
    [ ${#need[@]} -eq 0 ] && { say "packages: present"; return; }

    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    local target=()
    if [[ " ${need[*]} " == *" incus-"* ]] && ! apt-cache policy incus-base | grep -q 'Candidate: [0-9]'; then
        # Incus is not in Debian 12's main suite; its backports suite has it.
        . /etc/os-release
        local mirror list=/etc/apt/sources.list.d/isb-backports.sources
        mirror=$(debian_mirror "$VERSION_CODENAME") ||
            die "found no Debian mirror for '$VERSION_CODENAME' in apt's sources to take ${VERSION_CODENAME}-backports from"
        printf 'Types: deb\nURIs: %s\nSuites: %s-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
            "$mirror" "$VERSION_CODENAME" > "$list"
        did "added ${VERSION_CODENAME}-backports from $mirror ($list)"
        apt-get update -qq
        target=(-t "${VERSION_CODENAME}-backports")
    fi
    apt-get install -y -qq --no-install-recommends "${target[@]}" "${need[@]}" >/dev/null
    did "installed ${need[*]}"
}

# --- daemon ------------------------------------------------------------------------

daemon_answers() { timeout 5 incus query /1.0 >/dev/null 2>&1; }

incusd_path() { [ -x /usr/libexec/incus/incusd ] && echo /usr/libexec/incus/incusd || command -v incusd; }

ensure_daemon() {
    if daemon_answers; then say "daemon: answering on $socket"; return; fi
    if [ -d /run/systemd/system ] && systemctl list-unit-files incus.service >/dev/null 2>&1; then
        systemctl start incus.socket incus.service
        did "started incus with systemd (journalctl -u incus for its log)"
    else
        mkdir -p "$(dirname "$daemon_log")"
        # setsid: the daemon must outlive this script and the shell that ran it. It must not inherit any descriptor
        # above 2 either: the daemon and every container it starts would hold it open for good (a lock the caller
        # holds, the pipe a CI runner reads to its end).
        (
            for fd in /proc/$BASHPID/fd/*; do
                fd=${fd##*/}
                [ "$fd" -gt 2 ] && eval "exec $fd>&-"
            done
            exec setsid "$(incusd_path)" --group root --logfile "$daemon_log" </dev/null >>"$daemon_log" 2>&1
        ) &
        mkdir -p "$(dirname "$daemon_pidfile")" && echo $! > "$daemon_pidfile"
        did "started incusd in the background (log: $daemon_log)"
    fi
    "$(incusd_path)" waitready --timeout 60 || die "the daemon did not become ready in 60 s; see $daemon_log"
    daemon_answers || die "the daemon started but does not answer on $socket; see $daemon_log"
}

# --- storage, network, default profile ---------------------------------------------

free_subnet() {
    local third
    for third in 77 123 171 203 219; do
        ip -4 route 2>/dev/null | grep -q "^10\.93\.$third\." || { echo "10.93.$third.1/24"; return; }
    done
    die "no free 10.93.x.0/24 subnet for the bridge; create a network named incusbr0 yourself"
}

ensure_network() {
    if incus network show incusbr0 >/dev/null 2>&1; then say "network: incusbr0 present"; return; fi
    local cidr; cidr=$(free_subnet)
    # No NAT: sandboxes talk to each other and to this host, nowhere else.
    incus network create incusbr0 ipv4.address="$cidr" ipv4.nat=false ipv6.address=none >/dev/null
    did "created bridge incusbr0 ($cidr, no NAT)"
}

ensure_storage() {
    local pools; pools=$(incus storage list -f csv -c n 2>/dev/null || true)
    if [ -n "$pools" ]; then say "storage: pool(s) present: $(echo $pools)"; return; fi
    if incus storage create default btrfs size=20GiB >/dev/null 2>&1; then
        did "created btrfs storage pool 'default' (20GiB loop file)"
    else
        incus storage create default dir >/dev/null
        did "created dir storage pool 'default' (btrfs was not possible; launches will be slower)"
    fi
}

ensure_profile() {
    local devices; devices=$(incus profile device list default 2>/dev/null || true)
    if ! incus profile show default | grep -q 'path: /$'; then
        local pool; pool=$(incus storage list -f csv -c n | head -n 1)
        incus profile device add default root disk path=/ pool="$pool" >/dev/null
        did "added root disk on pool '$pool' to the default profile"
    fi
    if ! incus profile show default | grep -q 'type: nic'; then
        local name=eth0
        grep -qx eth0 <<<"$devices" && name=isb-eth0
        incus profile device add default "$name" nic network=incusbr0 name=eth0 >/dev/null
        did "added a NIC on incusbr0 to the default profile"
    fi
    say "profile: default has a root disk and a NIC"
}

# --- images --------------------------------------------------------------------------

# A recipe is everything that decides an image's content; its hash names the cached
# build and is stored on the image, so a changed recipe rebuilds and an unchanged one
# costs one query.
recipe_hash() { { printf '%s\n' "$@"; cat "$here/images/init" "$here/images/udhcpc.script" "$here/images/hostname.tpl"; } | sha256sum | cut -c1-16; }

image_recipe() { incus image get-property "$1" isb.recipe 2>/dev/null || true; }

# Adds what both images share to a rootfs: our init, the DHCP hook, an unprivileged user.
finish_rootfs() {
    local rootfs=$1
    install -D -m 0755 "$here/images/init" "$rootfs/sbin/init"
    install -D -m 0755 "$here/images/udhcpc.script" "$rootfs/etc/isb/udhcpc.script"
    grep -q '^sandbox:' "$rootfs/etc/passwd" 2>/dev/null ||
        echo 'sandbox:x:1000:1000:sandbox:/home/sandbox:/bin/sh' >> "$rootfs/etc/passwd"
    grep -q '^sandbox:' "$rootfs/etc/group" 2>/dev/null || echo 'sandbox:x:1000:' >> "$rootfs/etc/group"
    install -d -m 0755 -o 1000 -g 1000 "$rootfs/home/sandbox"
}

# Packs rootfs + metadata (with the /etc/hostname template) and imports it under the alias,
# replacing an older IncusTestKit image of that alias.
import_image() {
    local alias=$1 rootfs=$2 hash=$3 description=$4 os=$5 work
    work=$(mktemp -d "$cache_dir/pack.XXXXXX")
    mkdir -p "$work/templates"
    cp "$here/images/hostname.tpl" "$work/templates/hostname.tpl"
    cat > "$work/metadata.yaml" <<EOF
architecture: $(uname -m)
creation_date: $(date +%s)
properties:
  description: $description
  os: $os
  isb.recipe: "$hash"
templates:
  /etc/hostname:
    when: [create, copy]
    template: hostname.tpl
EOF
    tar --numeric-owner -C "$work" -cf "$work/image.tar" metadata.yaml templates \
        -C "$(dirname "$rootfs")" "$(basename "$rootfs")"
    local old; old=$(incus image info "$alias" 2>/dev/null | awk '/^Fingerprint:/ { print $2 }' || true)
    if [ -n "$old" ]; then incus image alias delete "$alias"; fi
    incus image import "$work/image.tar" --alias "$alias" >/dev/null
    if [ -n "$old" ]; then incus image delete "$old" 2>/dev/null || true; fi
    rm -rf "$work"
    did "imported $alias (recipe $hash)"
}

build_busybox_image() {
    local hash; hash=$(recipe_hash busybox-1 "$(sha256sum /bin/busybox)")
    [ "$(image_recipe isb/busybox)" = "$hash" ] && { say "image: isb/busybox up to date"; return; }
    local stage; stage=$(mktemp -d "$cache_dir/busybox.XXXXXX")
    local rootfs=$stage/rootfs applet
    mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,dev,proc,sys,tmp,root,run,var/tmp}
    chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
    cp /bin/busybox "$rootfs/bin/busybox"
    for applet in $(/bin/busybox --list-full); do
        # /sbin/init is ours, and a link named busybox would replace the binary itself.
        [ "$applet" = bin/busybox ] || [ "$applet" = sbin/init ] && continue
        ln -sf /bin/busybox "$rootfs/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$rootfs/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' > "$rootfs/etc/group"
    echo busybox > "$rootfs/etc/hostname"
    finish_rootfs "$rootfs"
    import_image isb/busybox "$rootfs" "$hash" "IncusTestKit busybox" busybox
    rm -rf "$stage"
}

build_debian_image() {
    local packages=python3,nodejs,ruby,bash,procps,ca-certificates,busybox
    [ "$with_go" = 1 ] && packages+=,golang-go
    local recipe="debootstrap --variant=minbase --include=$packages bookworm"
    local hash; hash=$(recipe_hash debian12-1 "$recipe")
    [ "$(image_recipe isb/debian12)" = "$hash" ] && { say "image: isb/debian12 up to date"; return; }

    # The debootstrap result is the slow part (a minute or two): cache it by its recipe.
    local base_key; base_key=$(printf '%s' "$recipe" | sha256sum | cut -c1-16)
    local base=$cache_dir/debian12-$base_key
    if [ ! -f "$base/.complete" ]; then
        local mirror; mirror=$(debian_mirror bookworm) || die "found no Debian mirror for bookworm in apt's sources"
        rm -rf "$base"
        say "debootstrap of Debian 12 with $packages from $mirror (a minute or two, cached afterwards)"
        debootstrap --variant=minbase --include="$packages" bookworm "$base/rootfs" "$mirror" \
            > "$cache_dir/debootstrap.log" 2>&1 || die "debootstrap failed; see $cache_dir/debootstrap.log"
        rm -rf "$base/rootfs/var/cache/apt/archives/"*.deb "$base/rootfs/var/lib/apt/lists/"*
        touch "$base/.complete"
        did "built Debian 12 rootfs ($base)"
    fi
    local stage; stage=$(mktemp -d "$cache_dir/debian12.XXXXXX")
    cp -a --reflink=auto "$base/rootfs" "$stage/rootfs"
    finish_rootfs "$stage/rootfs"
    import_image isb/debian12 "$stage/rootfs" "$hash" "IncusTestKit Debian 12 runtime" debian
    rm -rf "$stage"
}

ensure_images() {
    [ "$skip_images" = 1 ] && { say "images: skipped (--skip-images)"; return; }
    mkdir -p "$cache_dir"
    # Staging folders of a run that was interrupted.
    rm -rf "$cache_dir"/pack.?????? "$cache_dir"/busybox.?????? "$cache_dir"/debian12.??????
    build_busybox_image
    build_debian_image
}

ensure_packages
ensure_daemon
ensure_network
ensure_storage
ensure_profile
ensure_images
say "ready in $((SECONDS - started)) s: Incus $(incus version 2>/dev/null | awk '/^Server/ { print $3 }') (daemon log: $daemon_log)"
