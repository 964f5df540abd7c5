// SPDX-License-Identifier: GPL-2.0
/*
 * The MC146818 RTC and CMOS RAM at 0x70 (index, bit 7 masks NMI) and 0x71
 * (data). The time is the host's, read when the guest reads it, in UTC, in
 * BCD or binary and 12- or 24-hour form as status register B says; no
 * update cycle is ever in progress. No alarm or periodic interrupt yet.
 */
#include <time.h>

#include "../vmw86-run.h"

#define RTC_REG_A	0x0a
#define RTC_REG_B	0x0b
#define RTC_REG_C	0x0c
#define RTC_REG_D	0x0d
#define RTC_CENTURY	0x32
#define RTC_B_24H	0x02
#define RTC_B_BINARY	0x04

static u8 cmos[128];
static u8 rtc_index;

static u8 rtc_encode(int v)
{
	if (cmos[RTC_REG_B] & RTC_B_BINARY)
		return v;
	return (v / 10) << 4 | (v % 10);
}

static u8 rtc_hour(int h)
{
	u8 pm = 0;

	if (cmos[RTC_REG_B] & RTC_B_24H)
		return rtc_encode(h);
	if (h >= 12)
		pm = 0x80;
	h %= 12;
	return rtc_encode(h ? h : 12) | pm;
}

static u8 rtc_read(u8 reg)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	switch (reg) {
	case 0x00:
		return rtc_encode(tm.tm_sec);
	case 0x02:
		return rtc_encode(tm.tm_min);
	case 0x04:
		return rtc_hour(tm.tm_hour);
	case 0x06:
		return rtc_encode(tm.tm_wday + 1);
	case 0x07:
		return rtc_encode(tm.tm_mday);
	case 0x08:
		return rtc_encode(tm.tm_mon + 1);
	case 0x09:
		return rtc_encode(tm.tm_year % 100);
	case RTC_CENTURY:
		return rtc_encode((tm.tm_year + 1900) / 100);
	case RTC_REG_A: /* UIP clear */
		return cmos[RTC_REG_A] & 0x7f;
	case RTC_REG_C:
		return 0;
	case RTC_REG_D: /* battery good */
		return 0x80;
	default:
		return cmos[reg];
	}
}

static void rtc_io(struct vm *vm, u16 port, u8 *data, int size, bool is_write,
		   void *opaque)
{
	(void)vm;
	(void)size;
	(void)opaque;
	if (port == 0x70) {
		if (is_write)
			rtc_index = data[0] & 0x7f;
		else
			data[0] = 0xff;
		return;
	}
	if (!is_write) {
		data[0] = rtc_read(rtc_index);
		return;
	}
	switch (rtc_index) {
	case RTC_REG_C:
	case RTC_REG_D:
		break;			/* read-only */
	default:
		/* Setting the time is accepted and forgotten: it is the host's. */
		cmos[rtc_index] = data[0];
	}
}

static void rtc_init(struct vm *vm)
{
	(void)vm;
	cmos[RTC_REG_A] = 0x26;		/* 32.768 kHz time base, 1024 Hz rate */
	cmos[RTC_REG_B] = RTC_B_24H;
	ioport__register(0x70, 2, rtc_io, NULL, "rtc");
}

PLATFORM_DEVICE(rtc, rtc_init);
