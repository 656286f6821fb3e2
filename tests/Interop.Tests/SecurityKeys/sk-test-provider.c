/*
 * A software security key for tests only: OpenSSH's security-key provider interface
 * (SecurityKeyProvider / SSH_SK_PROVIDER; the functions and structures of sk-api.h, described in
 * PROTOCOL.u2f), written from that interface, with a software key in place of the authenticator.
 * Never use it for anything but tests: the key handle IS the private key.
 *
 * Enrollment returns authenticator data (WebAuthn §6.1: SHA-256(application), flags, counter,
 * AAGUID, credential id, COSE key) and an attestation signed by a test attestation key, so that
 * OpenSSH's own ssh-keygen writes real ssh-sk-attest-v01 files. What it does is set by the
 * environment of the process that loads it:
 *   SK_TEST_ATTESTATION_KEY   PEM private key of the attestation certificate (unset: a "none"
 *                             attestation, no certificate and no signature)
 *   SK_TEST_ATTESTATION_CERT  DER attestation certificate
 *   SK_TEST_AAGUID            32 hex digits (default all zero)
 *   SK_TEST_FORMAT            "packed" (default) or "fido-u2f": what the signature covers
 *   SK_TEST_EXTRA_FLAGS       decimal bits OR-ed into the flags (8: backup-eligible)
 *   SK_TEST_NO_UV             "1": never set UV, even when verification was asked for
 *   SK_TEST_ATTEST_OTHER_KEY  "1": attest a fresh key instead of the one returned
 * Signing (ssh, ssh-agent) makes the signature sshd expects: over SHA-256(application) ‖ flags ‖
 * counter ‖ SHA-256(message); ECDSA P-256 with SHA-256, or Ed25519 over those bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/core_names.h>

#define SSH_SK_USER_VERIFICATION_REQD 0x04
#define SSH_SK_ECDSA 0x00
#define SSH_SK_ED25519 0x01
#define SSH_SK_ERR_GENERAL -1
#define SSH_SK_ERR_UNSUPPORTED -2
#define SSH_SK_VERSION_MAJOR 0x000a0000

struct sk_enroll_response {
	uint8_t flags;
	uint8_t *public_key;
	size_t public_key_len;
	uint8_t *key_handle;
	size_t key_handle_len;
	uint8_t *signature;
	size_t signature_len;
	uint8_t *attestation_cert;
	size_t attestation_cert_len;
	uint8_t *authdata;
	size_t authdata_len;
};

struct sk_sign_response {
	uint8_t flags;
	uint32_t counter;
	uint8_t *sig_r;
	size_t sig_r_len;
	uint8_t *sig_s;
	size_t sig_s_len;
};

struct sk_resident_key;
struct sk_option;

uint32_t sk_api_version(void) { return SSH_SK_VERSION_MAJOR; }

static void sha256(const void *data, size_t len, uint8_t out[32])
{
	unsigned int n = 32;
	EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

static int env_is(const char *name, const char *value)
{
	const char *v = getenv(name);
	return v != NULL && strcmp(v, value) == 0;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;
	if (f == NULL) return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > 65536 || fseek(f, 0, SEEK_SET) != 0) { fclose(f); return NULL; }
	buf = malloc(n > 0 ? n : 1);
	if (buf == NULL || fread(buf, 1, n, f) != (size_t)n) { free(buf); fclose(f); return NULL; }
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The raw public key (EC: the uncompressed point; Ed25519: 32 bytes) and private key (32 bytes). */
static int raw_keys(EVP_PKEY *key, int ed25519, uint8_t *pub, size_t *publen, uint8_t priv[32])
{
	size_t n = 32;
	if (ed25519) {
		*publen = 32;
		return EVP_PKEY_get_raw_public_key(key, pub, publen) == 1 && EVP_PKEY_get_raw_private_key(key, priv, &n) == 1 && n == 32;
	}
	BIGNUM *d = NULL;
	int ok = EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pub, 65, publen) == 1 && *publen == 65
	    && EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1 && BN_bn2binpad(d, priv, 32) == 32;
	BN_clear_free(d);
	return ok;
}

static EVP_PKEY *key_from_handle(int ed25519, const uint8_t *handle, size_t len)
{
	if (len != 32) return NULL;
	if (ed25519) return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, handle, 32);
	/* Rebuild the P-256 key from its scalar: the public point is d·G. */
	EVP_PKEY *key = NULL;
	EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *d = BN_bin2bn(handle, 32, NULL);
	EC_POINT *q = group != NULL ? EC_POINT_new(group) : NULL;
	uint8_t point[65];
	if (q != NULL && d != NULL && EC_POINT_mul(group, q, d, NULL, NULL, NULL) == 1
	    && EC_POINT_point2oct(group, q, POINT_CONVERSION_UNCOMPRESSED, point, sizeof point, NULL) == 65) {
		OSSL_PARAM params[4];
		uint8_t scalar[32];
		memcpy(scalar, handle, 32);
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
		params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, 65);
		params[2] = OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_PRIV_KEY, scalar, 32);
		params[3] = OSSL_PARAM_construct_end();
		/* OSSL_PARAM BNs are native-endian. */
		for (int i = 0; i < 16; i++) { uint8_t t = scalar[i]; scalar[i] = scalar[31 - i]; scalar[31 - i] = t; }
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		if (ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1)
			EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params);
		EVP_PKEY_CTX_free(ctx);
	}
	EC_POINT_free(q);
	BN_free(d);
	EC_GROUP_free(group);
	return key;
}

/* A signature over data: ECDSA with SHA-256 (DER) or Ed25519. */
static uint8_t *sign(EVP_PKEY *key, int ed25519, const uint8_t *data, size_t len, size_t *siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t *sig = NULL;
	if (ctx != NULL && EVP_DigestSignInit(ctx, NULL, ed25519 ? NULL : EVP_sha256(), NULL, key) == 1
	    && EVP_DigestSign(ctx, NULL, siglen, data, len) == 1 && (sig = malloc(*siglen)) != NULL
	    && EVP_DigestSign(ctx, sig, siglen, data, len) != 1) {
		free(sig);
		sig = NULL;
	}
	EVP_MD_CTX_free(ctx);
	return sig;
}

static void cbor_bytes_header(uint8_t **p, size_t len)
{
	if (len < 24) { *(*p)++ = 0x40 | (uint8_t)len; }
	else if (len < 256) { *(*p)++ = 0x58; *(*p)++ = (uint8_t)len; }
	else { *(*p)++ = 0x59; *(*p)++ = (uint8_t)(len >> 8); *(*p)++ = (uint8_t)len; }
}

int sk_enroll(uint32_t alg, const uint8_t *challenge, size_t challenge_len, const char *application,
    uint8_t flags, const char *pin, struct sk_option **options, struct sk_enroll_response **enroll_response)
{
	(void)pin; (void)options;
	int ed25519 = alg == SSH_SK_ED25519;
	if (alg != SSH_SK_ECDSA && !ed25519) return SSH_SK_ERR_UNSUPPORTED;
	if (enroll_response == NULL || application == NULL) return SSH_SK_ERR_GENERAL;

	struct sk_enroll_response *r = calloc(1, sizeof *r);
	EVP_PKEY *key = ed25519 ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *attested = env_is("SK_TEST_ATTEST_OTHER_KEY", "1")
	    ? (ed25519 ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) : key;
	uint8_t pub[65], priv[32], apub[65], apriv[32], rpid[32], cdh[32], aaguid[16] = { 0 };
	size_t publen = 0, apublen = 0;
	int rc = SSH_SK_ERR_GENERAL;
	if (r == NULL || key == NULL || attested == NULL || !raw_keys(key, ed25519, pub, &publen, priv)
	    || !raw_keys(attested, ed25519, apub, &apublen, apriv))
		goto out;

	const char *hex = getenv("SK_TEST_AAGUID");
	if (hex != NULL && strlen(hex) == 32)
		for (int i = 0; i < 16; i++) { unsigned int b; sscanf(hex + 2 * i, "%2x", &b); aaguid[i] = (uint8_t)b; }

	uint8_t f = 0x01 | 0x40; /* UP, AT */
	if ((flags & SSH_SK_USER_VERIFICATION_REQD) && !env_is("SK_TEST_NO_UV", "1")) f |= 0x04;
	if (getenv("SK_TEST_EXTRA_FLAGS") != NULL) f |= (uint8_t)atoi(getenv("SK_TEST_EXTRA_FLAGS"));

	/* Authenticator data; the credential id is the key handle (the private key). */
	uint8_t ad[512], *p = ad;
	sha256(application, strlen(application), rpid);
	memcpy(p, rpid, 32); p += 32;
	*p++ = f;
	memset(p, 0, 4); p += 4;
	memcpy(p, aaguid, 16); p += 16;
	*p++ = 0; *p++ = 32;
	memcpy(p, priv, 32); p += 32;
	if (ed25519) {
		static const uint8_t head[] = { 0xa4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21, 0x58, 0x20 };
		memcpy(p, head, sizeof head); p += sizeof head;
		memcpy(p, apub, 32); p += 32;
	} else {
		static const uint8_t head[] = { 0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20 };
		memcpy(p, head, sizeof head); p += sizeof head;
		memcpy(p, apub + 1, 32); p += 32;
		*p++ = 0x22; *p++ = 0x58; *p++ = 0x20;
		memcpy(p, apub + 33, 32); p += 32;
	}
	size_t adlen = (size_t)(p - ad);

	/* OpenSSH >= 8.7 hands the challenge over as client data: the authenticator hashes it. */
	sha256(challenge, challenge_len, cdh);

	const char *keypath = getenv("SK_TEST_ATTESTATION_KEY"), *certpath = getenv("SK_TEST_ATTESTATION_CERT");
	if (keypath != NULL && certpath != NULL) {
		FILE *kf = fopen(keypath, "r");
		EVP_PKEY *akey = kf != NULL ? PEM_read_PrivateKey(kf, NULL, NULL, NULL) : NULL;
		if (kf != NULL) fclose(kf);
		if (akey == NULL || (r->attestation_cert = read_file(certpath, &r->attestation_cert_len)) == NULL) {
			EVP_PKEY_free(akey);
			goto out;
		}
		uint8_t tbs[768];
		size_t tbslen;
		if (env_is("SK_TEST_FORMAT", "fido-u2f")) {
			tbs[0] = 0x00;
			memcpy(tbs + 1, rpid, 32);
			memcpy(tbs + 33, cdh, 32);
			memcpy(tbs + 65, priv, 32);
			memcpy(tbs + 97, apub, apublen);
			tbslen = 97 + apublen;
		} else {
			memcpy(tbs, ad, adlen);
			memcpy(tbs + adlen, cdh, 32);
			tbslen = adlen + 32;
		}
		r->signature = sign(akey, EVP_PKEY_get_id(akey) == EVP_PKEY_ED25519, tbs, tbslen, &r->signature_len);
		EVP_PKEY_free(akey);
		if (r->signature == NULL) goto out;
	}

	/* The authenticator data as libfido2 hands it over: one CBOR byte string. */
	r->authdata = malloc(adlen + 3);
	uint8_t *q = r->authdata;
	if (q == NULL) goto out;
	cbor_bytes_header(&q, adlen);
	memcpy(q, ad, adlen);
	r->authdata_len = (size_t)(q - r->authdata) + adlen;

	r->public_key = malloc(publen);
	r->key_handle = malloc(32);
	if (r->public_key == NULL || r->key_handle == NULL) goto out;
	memcpy(r->public_key, pub, publen);
	r->public_key_len = publen;
	memcpy(r->key_handle, priv, 32);
	r->key_handle_len = 32;
	r->flags = flags;
	*enroll_response = r;
	r = NULL;
	rc = 0;
out:
	if (r != NULL) {
		free(r->public_key); free(r->key_handle); free(r->signature); free(r->attestation_cert); free(r->authdata); free(r);
	}
	if (attested != key) EVP_PKEY_free(attested);
	EVP_PKEY_free(key);
	return rc;
}

int sk_sign(uint32_t alg, const uint8_t *data, size_t data_len, const char *application, const uint8_t *key_handle,
    size_t key_handle_len, uint8_t flags, const char *pin, struct sk_option **options, struct sk_sign_response **sign_response)
{
	(void)pin; (void)options;
	int ed25519 = alg == SSH_SK_ED25519;
	if (alg != SSH_SK_ECDSA && !ed25519) return SSH_SK_ERR_UNSUPPORTED;
	EVP_PKEY *key = key_from_handle(ed25519, key_handle, key_handle_len);
	struct sk_sign_response *r = calloc(1, sizeof *r);
	uint8_t msg[69], *sig = NULL;
	size_t siglen = 0;
	int rc = SSH_SK_ERR_GENERAL;
	if (key == NULL || r == NULL || sign_response == NULL) goto out;

	r->flags = 0x01 | ((flags & SSH_SK_USER_VERIFICATION_REQD) && !env_is("SK_TEST_NO_UV", "1") ? 0x04 : 0);
	r->counter = (uint32_t)time(NULL);
	sha256(application, strlen(application), msg);
	msg[32] = r->flags;
	msg[33] = (uint8_t)(r->counter >> 24); msg[34] = (uint8_t)(r->counter >> 16);
	msg[35] = (uint8_t)(r->counter >> 8); msg[36] = (uint8_t)r->counter;
	sha256(data, data_len, msg + 37);
	if ((sig = sign(key, ed25519, msg, sizeof msg, &siglen)) == NULL) goto out;
	if (ed25519) {
		r->sig_r = sig;
		r->sig_r_len = siglen;
		sig = NULL;
	} else {
		const uint8_t *der = sig;
		ECDSA_SIG *ec = d2i_ECDSA_SIG(NULL, &der, (long)siglen);
		const BIGNUM *br, *bs;
		if (ec == NULL) goto out;
		ECDSA_SIG_get0(ec, &br, &bs);
		r->sig_r_len = (size_t)BN_num_bytes(br);
		r->sig_s_len = (size_t)BN_num_bytes(bs);
		r->sig_r = malloc(r->sig_r_len ? r->sig_r_len : 1);
		r->sig_s = malloc(r->sig_s_len ? r->sig_s_len : 1);
		if (r->sig_r == NULL || r->sig_s == NULL) { ECDSA_SIG_free(ec); goto out; }
		BN_bn2bin(br, r->sig_r);
		BN_bn2bin(bs, r->sig_s);
		ECDSA_SIG_free(ec);
	}
	*sign_response = r;
	r = NULL;
	rc = 0;
out:
	if (r != NULL) { free(r->sig_r); free(r->sig_s); free(r); }
	free(sig);
	EVP_PKEY_free(key);
	return rc;
}

int sk_load_resident_keys(const char *pin, struct sk_option **options, struct sk_resident_key ***rks, size_t *nrks)
{
	(void)pin; (void)options; (void)rks; (void)nrks;
	return SSH_SK_ERR_UNSUPPORTED;
}
