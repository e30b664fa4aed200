/* isotime.h - ISO 8601 times as people type them.
 * Pure: no clock, no time zone database; a time without an offset is UTC,
 * as the journal's times are. */
#ifndef DIRMAIL_ISOTIME_H
#define DIRMAIL_ISOTIME_H

#include <time.h>

#include "attrs.h"

/* The forms isotime_parse accepts, for error messages: one line, no newline. */
#define ISOTIME_FORMS                                                                              \
	"2026-12-07, 2026-12-07T01:15, 2026-12-07T01:15:00Z, 2026-12-07T01:15:00+01:00 or "        \
	"20261207T011500Z (no offset: UTC)"

/* Parses an ISO 8601 calendar date, or date and time, into *t: extended
 * YYYY-MM-DD or basic YYYYMMDD; then optionally 'T' (or 't' or one space)
 * and hh:mm or hh:mm:ss (basic hhmm or hhmmss, in the date's format), a
 * fraction of a second after '.' or ',' dropped; then optionally 'Z' or an
 * offset +hh, +hh:mm or +hhmm (or '-'), up to 23:59; no offset means UTC.
 * A date alone is its midnight. Years 1970 to 9999, and the instant must
 * not fall before 1970. Returns 0, or -1 when s (NULL included) is none of
 * these, *t then unchanged. */
int isotime_parse(const char *s, time_t *t) DM_WUR;
/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d (negative
 * before it); m is 1 to 12. */
long long isotime_days(long long y, int m, int d);
/* 1 when y-m-d is a date of the Gregorian calendar (m 1..12, d in its
 * month), else 0. */
int isotime_valid_date(long long y, int m, int d);

#endif
