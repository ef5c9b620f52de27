#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A private CA and the certificates of a local TLS set-up (Kafka SSL listener, schema registry over
# HTTPS, zeelos roles as clients).  Why a script: a test or demo needs a CA, a broker certificate
# with the right SANs, a Java keystore/truststore and one client certificate per role, and none of
# it may carry a fixed password: the keystore password is random (openssl rand) and kept in a 0600
# file next to the stores.
#
#   scripts/certs.sh [--force] DIR [ROLE...]
#
# Creates in DIR (mode 0700; every file 0600):
#   ca.pem, ca.key                 the CA (EC P-256, 825 days)
#   broker.pem, broker.key         server certificate, SAN IP:127.0.0.1, DNS:localhost (also usable by
#                                  `zeelos registry`: registry.tls.cert / registry.tls.key)
#   broker.pass                    random password of the two stores below
#   broker.keystore.p12            PKCS12: broker key + certificate chain (ssl.keystore.*)
#   broker.truststore.p12          PKCS12: the CA as a trusted certificate (ssl.truststore.*)
#   <role>.pem, <role>.key         client certificate CN=<role> per ROLE (default: gateway-edge1
#                                  registry sink analytics console admin)
# Existing files are kept (a second run only adds what is missing) unless --force, which recreates
# everything.  Keys and the password are never printed.  Needs the openssl CLI and the JDK's keytool.
set -euo pipefail

say() { echo "certs.sh: $*"; }
die() { echo "certs.sh: error: $*" >&2; exit 1; }

FORCE=0
if [ "${1:-}" = "--force" ]; then FORCE=1; shift; fi
[ $# -ge 1 ] || { echo "usage: $0 [--force] DIR [ROLE...]" >&2; exit 2; }
DIR="$1"; shift
ROLES=("$@")
[ ${#ROLES[@]} -gt 0 ] || ROLES=(gateway-edge1 registry sink analytics console admin)
DAYS="${ZEELOS_CERT_DAYS:-825}"

command -v openssl >/dev/null || die "openssl not found"
command -v keytool >/dev/null || die "keytool not found (install a JDK)"
for r in "${ROLES[@]}"; do
  [[ "$r" =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$ ]] || die "bad role name '$r' (A-Z a-z 0-9 . _ -, at most 63)"
  case "$r" in ca|broker) die "role '$r' would overwrite the ${r} files" ;; esac
done

umask 077
mkdir -p "$DIR"
chmod 700 "$DIR"
DIR="$(cd "$DIR" && pwd)"
TMP="$(mktemp -d "$DIR/.tmp.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

if [ $FORCE = 1 ]; then
  rm -f "$DIR"/ca.pem "$DIR"/ca.key "$DIR"/ca.srl "$DIR"/broker.pem "$DIR"/broker.key "$DIR"/broker.pass \
        "$DIR"/broker.keystore.p12 "$DIR"/broker.truststore.p12
  for r in "${ROLES[@]}"; do rm -f "$DIR/$r.pem" "$DIR/$r.key"; done
fi

# A new EC P-256 key into $1 (written through a temporary file: never on stdout).
new_key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TMP/key.pem" 2>"$TMP/err" ||
    { cat "$TMP/err" >&2; die "openssl genpkey failed"; }
  mv "$TMP/key.pem" "$1"
}

# sign NAME CN EXTENSIONS: NAME.key (new) + NAME.pem signed by the CA.
sign() {
  local name="$1" cn="$2" ext="$3"
  new_key "$TMP/$name.key"
  openssl req -new -key "$TMP/$name.key" -subj "/CN=$cn" -out "$TMP/$name.csr" 2>"$TMP/err" ||
    { cat "$TMP/err" >&2; die "openssl req ($name) failed"; }
  printf '%s\n' "$ext" >"$TMP/$name.ext"
  openssl x509 -req -in "$TMP/$name.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca.key" -CAcreateserial \
      -CAserial "$DIR/ca.srl" -days "$DAYS" -sha256 -extfile "$TMP/$name.ext" -out "$TMP/$name.pem" 2>"$TMP/err" ||
    { cat "$TMP/err" >&2; die "openssl x509 ($name) failed"; }
  mv "$TMP/$name.key" "$DIR/$name.key"
  mv "$TMP/$name.pem" "$DIR/$name.pem"
  chmod 600 "$DIR/$name.key" "$DIR/$name.pem"
}

# ---------------------------------------------------------------- CA
if [ ! -f "$DIR/ca.pem" ] || [ ! -f "$DIR/ca.key" ]; then
  [ ! -f "$DIR/broker.pem" ] || die "$DIR has certificates but no CA (ca.pem/ca.key): use --force to recreate all"
  new_key "$TMP/ca.key"
  openssl req -x509 -new -key "$TMP/ca.key" -subj "/CN=zeelos local CA" -days "$DAYS" -sha256 \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -out "$TMP/ca.pem" 2>"$TMP/err" || { cat "$TMP/err" >&2; die "creating the CA failed"; }
  mv "$TMP/ca.key" "$DIR/ca.key"; mv "$TMP/ca.pem" "$DIR/ca.pem"
  chmod 600 "$DIR/ca.key" "$DIR/ca.pem"
  say "created CA $DIR/ca.pem"
fi

# ---------------------------------------------------------------- broker
if [ ! -f "$DIR/broker.pem" ] || [ ! -f "$DIR/broker.key" ]; then
  sign broker localhost "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=IP:127.0.0.1,DNS:localhost"
  rm -f "$DIR/broker.keystore.p12" "$DIR/broker.truststore.p12"
  say "created broker certificate $DIR/broker.pem (SAN IP:127.0.0.1, DNS:localhost)"
fi
if [ ! -s "$DIR/broker.pass" ]; then
  openssl rand -hex 24 >"$TMP/pass"
  mv "$TMP/pass" "$DIR/broker.pass"
  chmod 600 "$DIR/broker.pass"
  rm -f "$DIR/broker.keystore.p12" "$DIR/broker.truststore.p12"
fi
if [ ! -f "$DIR/broker.keystore.p12" ]; then
  openssl pkcs12 -export -in "$DIR/broker.pem" -inkey "$DIR/broker.key" -certfile "$DIR/ca.pem" \
      -name broker -passout "file:$DIR/broker.pass" -out "$TMP/ks.p12" 2>"$TMP/err" ||
    { cat "$TMP/err" >&2; die "creating the broker keystore failed"; }
  mv "$TMP/ks.p12" "$DIR/broker.keystore.p12"
  chmod 600 "$DIR/broker.keystore.p12"
  say "created $DIR/broker.keystore.p12 (password in broker.pass)"
fi
if [ ! -f "$DIR/broker.truststore.p12" ]; then
  keytool -importcert -noprompt -alias zeelos-ca -file "$DIR/ca.pem" -storetype PKCS12 \
      -keystore "$TMP/ts.p12" -storepass:file "$DIR/broker.pass" >"$TMP/err" 2>&1 ||
    { cat "$TMP/err" >&2; die "keytool could not create the truststore"; }
  mv "$TMP/ts.p12" "$DIR/broker.truststore.p12"
  chmod 600 "$DIR/broker.truststore.p12"
  say "created $DIR/broker.truststore.p12 (password in broker.pass)"
fi

# ---------------------------------------------------------------- clients
for r in "${ROLES[@]}"; do
  if [ -f "$DIR/$r.pem" ] && [ -f "$DIR/$r.key" ]; then continue; fi
  sign "$r" "$r" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
  say "created client certificate $DIR/$r.pem (CN=$r)"
done
