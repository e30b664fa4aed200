/* fuzz_status.c - fuzz target for the daemon's status file and the
 * renderings of what it holds (status.h). Input: a status file. What
 * status_parse takes, status_format writes back so that it reads back to
 * the same text, and every rendering copes with the strings in it (DNs,
 * reasons, URIs as a directory or a server may spell them). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf a = BUF_INIT, b = BUF_INIT, err = BUF_INIT;
	struct status s, r;
	char *text = malloc(size + 1);

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	status_init(&s);
	status_init(&r);
	if (status_parse(text, &s, &err) == 0) {
		if (status_format(&s, &a) < 0 || status_parse(buf_str(&a), &r, &err) < 0 ||
		    status_format(&r, &b) < 0 || strcmp(buf_str(&a), buf_str(&b)) != 0)
			abort();
		buf_reset(&a);
		if (status_render_text(&s, 1796606100, &a) < 0 ||
		    status_render_json(&s, 1796606100, &a) < 0 ||
		    status_render_prom(&s, 1796606100, &a) < 0 || status_gone(&s) < 0 ||
		    status_render_text(&s, 1796606100, &a) < 0)
			abort();
		(void)status_exit(&s);
	}
	status_clear(&s);
	status_clear(&r);
	buf_free(&a);
	buf_free(&b);
	buf_free(&err);
	free(text);
	return 0;
}
