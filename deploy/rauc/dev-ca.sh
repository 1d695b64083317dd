#!/usr/bin/env bash
# Development (and test) signing CA for RAUC bundles. NEVER use these keys for a real fleet: the
# production CA lives offline/in an HSM, and the device keyring (system.conf [keyring] path) holds
# only its certificate.
#
#   deploy/rauc/dev-ca.sh OUTDIR [CN-PREFIX]
#
# Writes into OUTDIR:
#   ca.cert.pem / ca.key.pem          the CA (its certificate is the device keyring)
#   signer.cert.pem / signer.key.pem  a signing certificate issued by the CA (what build-bundle.sh uses)
# Idempotent: an existing CA in OUTDIR is kept, so bundles signed earlier stay valid.
set -euo pipefail
out=${1:?usage: dev-ca.sh OUTDIR [CN-PREFIX]}
cn=${2:-voiceterm-dev}
mkdir -p "$out"
cd "$out"
umask 077

if [ ! -f ca.key.pem ]; then
  openssl req -x509 -newkey rsa:3072 -nodes -sha256 -days 3650 \
    -keyout ca.key.pem -out ca.cert.pem -subj "/O=voiceterm development/CN=${cn} CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" 2>/dev/null
fi

if [ ! -f signer.key.pem ]; then
  openssl req -newkey rsa:3072 -nodes -sha256 -keyout signer.key.pem -out signer.csr.pem \
    -subj "/O=voiceterm development/CN=${cn} bundle signer" 2>/dev/null
  # No extendedKeyUsage: RAUC's default check purpose ("smimesign") rejects codeSigning-only
  # certificates unless system.conf sets check-purpose=codesign.
  ext=$(mktemp)
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' >"$ext"
  openssl x509 -req -sha256 -days 1825 -in signer.csr.pem -CA ca.cert.pem -CAkey ca.key.pem \
    -CAcreateserial -out signer.cert.pem -extfile "$ext" 2>/dev/null
  rm -f "$ext" signer.csr.pem
fi
chmod 644 ca.cert.pem signer.cert.pem
echo "dev CA in $out: keyring ca.cert.pem, sign with signer.cert.pem + signer.key.pem"
