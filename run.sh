#!/usr/bin/env bash
# The main job: install what is missing, build, and run a consultation on an
# example description.  Pass your own words to use them instead.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
make -s
if [ $# -gt 0 ]; then
  exec build/knotfinder ask "$@"
fi
exec build/knotfinder --no-save ask "I have a knot in the crook of my right shoulder blade that keeps coming \
back. Massage helps for a few hours, then it returns. I play video games for hours with the \
mouse in my right hand, and I sleep on my side. My neck doesn't hurt."
