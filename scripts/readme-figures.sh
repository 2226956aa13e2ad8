#!/bin/sh
# Redraws the README's CLI figures (docs/images/embedded-*.png, vgg16-receptive-fields.png)
# with the built CLI: run `npx tsc -p tsconfig.build.json` first. The workbench screenshots
# come from scripts/workbench-screenshots.ts and the engine chart from scripts/engine-chart.ts.
# Usage: sh scripts/readme-figures.sh [figure ...]   (default: all; names as in the case below)
set -eu
cd "$(dirname "$0")/.."
cli="node bin/convscope.js"
img=docs/images
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
figures=${*:-weights maps attributions fields filters classes}
for figure in $figures; do
  case $figure in
    weights) $cli weights --layer block1_conv1 --out $img/embedded-weights-block1_conv1.png ;;
    maps) $cli maps --image samples/inputs/ankle-boot.png --out $img/embedded-maps-ankle-boot.png ;;
    attributions)
      $cli attribute --image samples/inputs/sneaker.png --method all \
        --out $img/embedded-attributions-sneaker.png ;;
    fields)
      $cli layers --model vgg16-notop --weights none --image samples/inputs/sneaker.png \
        --layer block1_conv2,block2_conv2,block3_conv3,block4_conv3,block5_conv3 \
        --out $img/vgg16-receptive-fields.png >/dev/null ;;
    filters) $cli filters --out "$tmp/filters" && cp "$tmp/filters/grid.png" $img/embedded-filters.png ;;
    classes)
      $cli classes --class all --out "$tmp/classes" && cp "$tmp/classes/grid.png" $img/embedded-classes.png ;;
    *) echo "unknown figure '$figure'" >&2 && exit 1 ;;
  esac
done
