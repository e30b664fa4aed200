/* isotime.c - ISO 8601 times as people type them.
 * The common calendar forms of ISO 8601 and RFC 3339, extended and basic,
 * with or without an offset; no week or ordinal dates. */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "isotime.h"

long long isotime_days(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int isotime_valid_date(long long y, int m, int d)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m >= 1 && m <= 12 && d >= 1 && d <= mdays[m - 1] + (m == 2 && leap);
}

/* Reads n digits at *p into *v and moves *p past them; -1 when there are
 * fewer. */
static int digits(const char **p, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		*v = *v * 10 + (*p)[i] - '0';
	}
	*p += n;
	return 0;
}

/* Reads sep at *p when the form is extended (sep != 0); -1 when missing. */
static int separator(const char **p, char sep)
{
	if (sep == '\0')
		return 0;
	if (**p != sep)
		return -1;
	(*p)++;
	return 0;
}

/* Reads the offset at *p (nothing, Z, +hh, +hh:mm, +hhmm or '-') into
 * *secs, east of UTC positive; -1 when it is no offset. */
static int offset(const char **p, long *secs)
{
	int sign, h, m = 0;

	*secs = 0;
	if (**p == '\0')
		return 0;
	if (**p == 'Z' || **p == 'z') {
		(*p)++;
		return 0;
	}
	if (**p != '+' && **p != '-')
		return -1;
	sign = **p == '-' ? -1 : 1;
	(*p)++;
	if (digits(p, 2, &h) < 0)
		return -1;
	if (**p == ':') {
		(*p)++;
		if (digits(p, 2, &m) < 0)
			return -1;
	} else if (**p >= '0' && **p <= '9' && digits(p, 2, &m) < 0) {
		return -1;
	}
	if (h > 23 || m > 59)
		return -1;
	*secs = sign * (h * 3600L + m * 60L);
	return 0;
}

int isotime_parse(const char *s, time_t *t)
{
	const char *p = s;
	char sep;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	long off = 0;
	long long secs;

	if (s == NULL || digits(&p, 4, &y) < 0)
		return -1;
	/* the date's form, extended or basic, is the time's too */
	sep = *p == '-' ? '-' : '\0';
	if (separator(&p, sep) < 0 || digits(&p, 2, &mo) < 0 || separator(&p, sep) < 0 ||
	    digits(&p, 2, &d) < 0)
		return -1;
	sep = sep ? ':' : '\0';
	if (*p == 'T' || *p == 't' || (*p == ' ' && p[1] != '\0')) {
		p++;
		if (digits(&p, 2, &h) < 0 || separator(&p, sep) < 0 || digits(&p, 2, &mi) < 0)
			return -1;
		if ((sep ? *p == ':' : *p >= '0' && *p <= '9') &&
		    (separator(&p, sep) < 0 || digits(&p, 2, &sec) < 0))
			return -1;
		if ((*p == '.' || *p == ',') && p[1] >= '0' && p[1] <= '9')
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
		if (offset(&p, &off) < 0)
			return -1;
	}
	if (*p != '\0' || y < 1970 || !isotime_valid_date(y, mo, d) || h > 23 || mi > 59 ||
	    sec > 59)
		return -1;
	secs = isotime_days(y, mo, d) * 86400 + h * 3600LL + mi * 60LL + sec - off;
	if (secs < 0 || (long long)(time_t)secs != secs)
		return -1;
	*t = (time_t)secs;
	return 0;
}
