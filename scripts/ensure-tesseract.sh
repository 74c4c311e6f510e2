#!/usr/bin/env bash
# The document reader OCRs scans and photos with Debian's Tesseract (the English model ships
# in tesseract-ocr-eng; nothing is downloaded at run time). Install it when it is missing and
# we are root; otherwise say how.
set -euo pipefail
# eng reads the text; osd tells which way up a photo is.
if command -v tesseract >/dev/null \
   && [ -n "$(ls /usr/share/tesseract-ocr/*/tessdata/eng.traineddata 2>/dev/null)" ] \
   && [ -n "$(ls /usr/share/tesseract-ocr/*/tessdata/osd.traineddata 2>/dev/null)" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "ensure-tesseract: installing Debian's tesseract-ocr for the document reader" >&2
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd
else
  echo "ensure-tesseract: tesseract is missing; install it (apt-get install tesseract-ocr" \
       "tesseract-ocr-eng tesseract-ocr-osd) or scanned documents end as UNSUPPORTED and the OCR tests are skipped" >&2
fi
