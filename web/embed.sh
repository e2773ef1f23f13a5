#!/bin/sh
# web/embed.sh NAME FILE - prints a C source defining NAME[] (the bytes of
# FILE, then a NUL) and NAME_len, so the dashboard is part of the binary.
set -eu
name=$1 file=$2
printf '/* Generated from %s by web/embed.sh: edit that file, not this one. */\n' "${file##*/}"
printf '#include "web_assets.h"\n\n'
printf 'const unsigned char %s[] = {\n' "$name"
od -An -v -tx1 "$file" | sed -e 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g' -e 's/^/\t/'
printf '\t0x00\n};\n'
printf 'const size_t %s_len = sizeof %s - 1;\n' "$name" "$name"
