#!/usr/bin/env bash
# Puts corpora/NAME.txt in place and checks its sha256. See corpora/README.md.
#   usage: corpora/fetch.sh NAME        (from any directory)
#   CHARNN_CORPUS_MIRROR=DIR            copy DIR/NAME.txt instead of downloading
set -euo pipefail

corpora_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
known_names="tinyshakespeare vi-truyenkieu lua-src"

usage() {
    echo "usage: $(basename "$0") NAME   (known corpora: ${known_names// /, })" >&2
    exit 64
}

[[ $# -eq 1 ]] || usage
name="$1"
case "$name" in
    tinyshakespeare)
        url="https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
        sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed" ;;
    vi-truyenkieu)
        url="https://raw.githubusercontent.com/huygbui/kieu-nano-gpt/5013028e7ebe952441dede2fb9242f611d1dd845/truyen_kieu.txt"
        sha256="b1170358f2001627ec287c069942606bb58da4af4fb46c2c16de17e19782fd94" ;;
    lua-src)
        url=""  # built from the Lua sources (see README.md): mirror only
        sha256="7ff98b93cd1bbc6bc50a0c9175f166b19cb2e3b3669b96849901fb203103ca78" ;;
    *)
        echo "error: unknown corpus '$name'" >&2
        usage ;;
esac

target="$corpora_dir/$name.txt"
sha256_of() { sha256sum "$1" | cut -d ' ' -f 1; }

if [[ -f "$target" && "$(sha256_of "$target")" == "$sha256" ]]; then
    echo "$target: already present, sha256 matches"
    exit 0
fi
if [[ -f "$target" ]]; then
    echo "$target: sha256 does not match, deleting it and fetching again" >&2
    rm -f "$target"
fi

mirror="${CHARNN_CORPUS_MIRROR:-}"
partial="$target.partial"
trap 'rm -f "$partial"' EXIT
if [[ -n "$mirror" && -f "$mirror/$name.txt" ]]; then
    echo "copying $mirror/$name.txt"
    cp "$mirror/$name.txt" "$partial"
elif [[ -z "$url" ]]; then
    echo "error: '$name' has no download URL; set CHARNN_CORPUS_MIRROR to a directory holding $name.txt" \
        "(see $corpora_dir/README.md for how it is built)" >&2
    exit 1
else
    echo "downloading $url"
    if command -v curl > /dev/null; then
        fetched() { curl --fail --silent --show-error --location --output "$partial" "$url"; }
    elif command -v wget > /dev/null; then
        fetched() { wget --quiet --output-document="$partial" "$url"; }
    else
        echo "error: neither curl nor wget is installed; install one, or set CHARNN_CORPUS_MIRROR" >&2
        exit 1
    fi
    if ! fetched; then
        echo "error: download of '$name' failed ($url); check the network," \
            "or set CHARNN_CORPUS_MIRROR to a directory holding $name.txt" >&2
        exit 1
    fi
fi

actual="$(sha256_of "$partial")"
if [[ "$actual" != "$sha256" ]]; then
    echo "error: $name.txt has sha256 $actual, expected $sha256; file deleted." \
        "The source changed or the copy is damaged: check the mirror or the URL" >&2
    exit 1
fi
mv "$partial" "$target"
echo "$target: ok ($(wc -c < "$target" | tr -d ' ') bytes, sha256 verified)"
