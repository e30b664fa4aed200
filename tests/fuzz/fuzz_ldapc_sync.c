/* fuzz_ldapc_sync.c - fuzz target for the RFC 4533 decoders.
 * Whatever bytes a server sends as a sync state, done or info value, the
 * decoders must refuse or accept them without crashing, leaking or reading
 * out of bounds, and what they accept must point inside the input. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "buf.h"
#include "ldapc_sync.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A borrowed cookie must lie inside the input. */
static void check_cookie(const uint8_t *data, size_t size, const unsigned char *c, size_t len)
{
	if (c != NULL && (c < data || len > size || c > data + size - len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ldapc_sync_state_value sv;
	struct ldapc_sync_done_value dv;
	struct ldapc_sync_info_value iv;
	struct buf err = BUF_INIT;

	if (ldapc_sync_state_decode(data, size, &sv, &err) == 0) {
		check_cookie(data, size, sv.cookie, sv.cookielen);
		if (sv.state > LDAPC_SYNC_DELETE)
			abort();
	} else if (err.len == 0) {
		abort(); /* a refusal always says why */
	}
	buf_reset(&err);
	if (ldapc_sync_done_decode(data, size, &dv, &err) == 0)
		check_cookie(data, size, dv.cookie, dv.cookielen);
	else if (err.len == 0)
		abort();
	buf_reset(&err);
	if (ldapc_sync_info_decode(data, size, &iv, &err) == 0) {
		check_cookie(data, size, iv.cookie, iv.cookielen);
		/* Each syncUUID takes 18 bytes of the input at least. */
		if (iv.nuuids > size / 18 || (iv.nuuids > 0) != (iv.uuids != NULL))
			abort();
		ldapc_sync_info_free(&iv);
	} else if (err.len == 0 || iv.uuids != NULL) {
		abort();
	}
	buf_free(&err);
	return 0;
}
