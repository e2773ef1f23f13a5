/* test_streams.c - unit tests of the stream registry (streams.c): moves and
 * repeats, both caps, TTL expiry, retain, views, and when the loop is woken. */
#include "config-auto.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "streams.h"
#include "util.h"

struct fx {
	struct streams s;
	int fd;
};

static void fx_init(struct fx *f, int per_engine, int total, int64_t ttl)
{
	f->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ck_assert_int_ge(f->fd, 0);
	streams_init(&f->s, f->fd);
	struct streams_limits lim = { per_engine, total, ttl };
	streams_set_limits(&f->s, &lim);
}

static void fx_free(struct fx *f)
{
	streams_destroy(&f->s);
	close(f->fd);
}

/* How many wake-ups the loop would have seen since the last call. */
static uint64_t wakes(struct fx *f)
{
	uint64_t n = 0;
	if (read(f->fd, &n, sizeof n) != sizeof n)
		return 0;
	return n;
}

static enum streams_result start(struct fx *f, const char *engine, const char *id, int64_t t)
{
	struct stream_rec r = { .id = (char *)id, .key = (char *)"k", .started_ms = 1000 + t };
	return streams_start(&f->s, engine, &r, t, 1000 + t);
}

START_TEST(start_end_and_wake_only_on_busy_flips)
{
	struct fx f;
	fx_init(&f, 0, 0, 0);
	ck_assert_int_eq(start(&f, "e1", "s1", 0), STREAMS_OK);
	ck_assert_uint_eq(wakes(&f), 1); /* e1 idle -> busy */
	ck_assert_int_eq(start(&f, "e1", "s2", 1), STREAMS_OK);
	ck_assert_uint_eq(wakes(&f), 0); /* 1 -> 2: no pass needed */
	ck_assert_int_eq(streams_count(&f.s, "e1"), 2);
	ck_assert_int_eq(streams_end(&f.s, "s1", NULL, NULL), STREAMS_OK);
	ck_assert_uint_eq(wakes(&f), 0); /* 2 -> 1 */
	struct stream_rec ended;
	ck_assert_int_eq(streams_end(&f.s, "s2", NULL, &ended), STREAMS_OK);
	ck_assert_str_eq(ended.id, "s2");
	ck_assert_str_eq(ended.engine_id, "e1");
	ck_assert_str_eq(ended.key, "k");
	stream_rec_clear(&ended);
	ck_assert_uint_eq(wakes(&f), 1); /* busy -> idle */
	ck_assert_int_eq(streams_end(&f.s, "s2", NULL, &ended), STREAMS_UNKNOWN);
	ck_assert_ptr_null(ended.id);
	ck_assert_int_eq(streams_count(&f.s, "e1"), 0);
	ck_assert_int_eq(streams_count(&f.s, "nope"), 0);
	fx_free(&f);
}
END_TEST

START_TEST(repeat_refreshes_and_move_flips_both)
{
	struct fx f;
	fx_init(&f, 0, 0, 0);
	start(&f, "e1", "s", 0);
	wakes(&f);
	uint64_t g = streams_generation(&f.s);
	ck_assert_int_eq(start(&f, "e1", "s", 5), STREAMS_OK); /* a repeat */
	ck_assert_uint_eq(wakes(&f), 0);
	ck_assert_int_eq(streams_count(&f.s, "e1"), 1);
	ck_assert_uint_gt(streams_generation(&f.s), g);
	ck_assert_int_eq(start(&f, "e2", "s", 6), STREAMS_OK); /* moved */
	ck_assert_uint_eq(wakes(&f), 1);                       /* one wake for both flips */
	ck_assert_int_eq(streams_count(&f.s, "e1"), 0);
	ck_assert_int_eq(streams_count(&f.s, "e2"), 1);
	struct streams_view *v = streams_view_new(&f.s, 6);
	ck_assert_uint_eq(v->n, 1);
	ck_assert_str_eq(v->recs[0].engine_id, "e2");
	ck_assert_int_eq(v->recs[0].started_ms, 1006);
	/* e1 keeps its entry (last_stream_usage) with no streams. */
	const struct streams_view_engine *e1 = streams_view_engine(v, "e1");
	ck_assert_ptr_nonnull(e1);
	ck_assert_uint_eq(e1->count, 0);
	ck_assert_int_eq(e1->last_started_ms, 1005);
	streams_view_free(v);
	fx_free(&f);
}
END_TEST

START_TEST(end_latest_of_engine)
{
	struct fx f;
	fx_init(&f, 0, 0, 0);
	start(&f, "e1", "a", 0);
	start(&f, "e1", "b", 1);
	start(&f, "e2", "c", 2);
	struct stream_rec ended;
	/* Upstream's stream_ended without stream_id: the latest of the engine. */
	ck_assert_int_eq(streams_end(&f.s, NULL, "e1", &ended), STREAMS_OK);
	ck_assert_str_eq(ended.id, "b");
	stream_rec_clear(&ended);
	ck_assert_int_eq(streams_end(&f.s, NULL, "e1", &ended), STREAMS_OK);
	ck_assert_str_eq(ended.id, "a");
	stream_rec_clear(&ended);
	ck_assert_int_eq(streams_end(&f.s, NULL, "e1", NULL), STREAMS_UNKNOWN);
	ck_assert_int_eq(streams_end(&f.s, NULL, "zz", NULL), STREAMS_UNKNOWN);
	ck_assert_int_eq(streams_end(&f.s, NULL, NULL, NULL), STREAMS_UNKNOWN);
	ck_assert_int_eq(streams_count(&f.s, "e2"), 1);
	fx_free(&f);
}
END_TEST

START_TEST(cap_per_engine)
{
	struct fx f;
	fx_init(&f, 2, 0, 0);
	ck_assert_int_eq(start(&f, "e1", "a", 0), STREAMS_OK);
	ck_assert_int_eq(start(&f, "e1", "b", 0), STREAMS_OK);
	ck_assert_int_eq(start(&f, "e1", "c", 0), STREAMS_FULL_ENGINE);
	/* A repeat on a full engine is not a new stream. */
	ck_assert_int_eq(start(&f, "e1", "a", 1), STREAMS_OK);
	/* Moving into a full engine is refused and leaves the stream where it was. */
	ck_assert_int_eq(start(&f, "e2", "x", 0), STREAMS_OK);
	ck_assert_int_eq(start(&f, "e1", "x", 0), STREAMS_FULL_ENGINE);
	ck_assert_int_eq(streams_count(&f.s, "e2"), 1);
	ck_assert_int_eq(streams_count(&f.s, "e1"), 2);
	struct streams_view *v = streams_view_new(&f.s, 1);
	ck_assert_uint_eq(v->rejected_engine, 2);
	ck_assert_uint_eq(v->rejected_total, 0);
	streams_view_free(v);
	fx_free(&f);
}
END_TEST

START_TEST(cap_total)
{
	struct fx f;
	fx_init(&f, 0, 3, 0);
	ck_assert_int_eq(start(&f, "e1", "a", 0), STREAMS_OK);
	ck_assert_int_eq(start(&f, "e2", "b", 0), STREAMS_OK);
	ck_assert_int_eq(start(&f, "e3", "c", 0), STREAMS_OK);
	ck_assert_int_eq(start(&f, "e4", "d", 0), STREAMS_FULL_TOTAL);
	ck_assert_int_eq(start(&f, "e4", "a", 0), STREAMS_OK); /* a move adds nothing */
	ck_assert_int_eq(streams_end(&f.s, "b", NULL, NULL), STREAMS_OK);
	ck_assert_int_eq(start(&f, "e4", "d", 0), STREAMS_OK);
	struct streams_view *v = streams_view_new(&f.s, 0);
	ck_assert_uint_eq(v->n, 3);
	ck_assert_uint_eq(v->rejected_total, 1);
	streams_view_free(v);
	fx_free(&f);
}
END_TEST

START_TEST(ttl_forgets_in_start_order)
{
	struct fx f;
	fx_init(&f, 0, 0, 100);
	start(&f, "e1", "old", 0);
	start(&f, "e2", "mid", 50);
	start(&f, "e1", "new", 90);
	wakes(&f);
	ck_assert_uint_eq(streams_expire(&f.s, 99), 0);
	ck_assert_uint_eq(streams_expire(&f.s, 100), 1); /* "old" */
	ck_assert_uint_eq(wakes(&f), 0);                 /* e1 still has "new" */
	/* A repeat restarts the clock. */
	start(&f, "e2", "mid", 140);
	ck_assert_uint_eq(streams_expire(&f.s, 190), 1); /* "new" */
	ck_assert_uint_eq(wakes(&f), 1);                 /* e1 went idle */
	ck_assert_int_eq(streams_count(&f.s, "e2"), 1);
	/* Views expire first, and count what expired. */
	struct streams_view *v = streams_view_new(&f.s, 240);
	ck_assert_uint_eq(v->n, 0);
	ck_assert_uint_eq(v->expired, 3);
	streams_view_free(v);
	ck_assert_uint_eq(wakes(&f), 1);
	fx_free(&f);
}
END_TEST

START_TEST(ttl_zero_never_expires)
{
	struct fx f;
	fx_init(&f, 0, 0, 0);
	start(&f, "e1", "a", 0);
	ck_assert_uint_eq(streams_expire(&f.s, INT64_MAX / 2), 0);
	ck_assert_int_eq(streams_count(&f.s, "e1"), 1);
	fx_free(&f);
}
END_TEST

START_TEST(retain_drops_gone_engines)
{
	struct fx f;
	fx_init(&f, 0, 0, 0);
	start(&f, "e1", "a", 0);
	start(&f, "e2", "b", 0);
	start(&f, "e2", "c", 0);
	start(&f, "e3", "d", 0);
	wakes(&f);
	const char *keep[] = { "e3", "e1", "e9" };
	streams_retain(&f.s, keep, 3);
	ck_assert_uint_eq(wakes(&f), 0); /* the loop asked: no wake */
	ck_assert_int_eq(streams_count(&f.s, "e2"), 0);
	ck_assert_int_eq(streams_end(&f.s, "b", NULL, NULL), STREAMS_UNKNOWN);
	struct streams_view *v = streams_view_new(&f.s, 0);
	ck_assert_uint_eq(v->n, 2);
	ck_assert_uint_eq(v->n_engines, 2);
	ck_assert_ptr_null(streams_view_engine(v, "e2"));
	streams_view_free(v);
	streams_retain(&f.s, NULL, 0);
	ck_assert_int_eq(streams_count(&f.s, "e1"), 0);
	fx_free(&f);
}
END_TEST

START_TEST(view_sorted_by_engine_then_start)
{
	struct fx f;
	fx_init(&f, 0, 0, 0);
	start(&f, "e2", "z", 0);
	start(&f, "e1", "y", 1);
	start(&f, "e2", "a", 2);
	struct streams_view *v = streams_view_new(&f.s, 3);
	ck_assert_uint_eq(v->n, 3);
	ck_assert_str_eq(v->recs[0].id, "y");
	ck_assert_str_eq(v->recs[1].id, "z");
	ck_assert_str_eq(v->recs[2].id, "a");
	const struct streams_view_engine *e2 = streams_view_engine(v, "e2");
	ck_assert_uint_eq(e2->first, 1);
	ck_assert_uint_eq(e2->count, 2);
	ck_assert_uint_eq(streams_view_count(v, "e2"), 2);
	ck_assert_uint_eq(streams_view_count(NULL, "e2"), 0);
	ck_assert_uint_eq(v->generation, streams_generation(&f.s));
	streams_view_free(v);
	fx_free(&f);
}
END_TEST

/* 120k stream_started calls (issue 9's measurement) stay bounded by the
 * cap and run in well under the test's timeout: no quadratic scan. */
START_TEST(many_streams_bounded)
{
	struct fx f;
	fx_init(&f, 64, 10000, 0);
	char id[32], eng[16];
	size_t ok = 0;
	for (int i = 0; i < 120000; i++) {
		snprintf(id, sizeof id, "s%d", i);
		snprintf(eng, sizeof eng, "e%d", i % 500);
		ok += start(&f, eng, id, i) == STREAMS_OK;
	}
	ck_assert_uint_eq(ok, 10000);
	struct streams_view *v = streams_view_new(&f.s, 0);
	ck_assert_uint_eq(v->n, 10000);
	ck_assert_uint_eq(v->rejected_total, 110000);
	streams_view_free(v);
	fx_free(&f);
}
END_TEST

static Suite *streams_suite(void)
{
	Suite *s = suite_create("streams");
	TCase *tc = tcase_create("registry");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, start_end_and_wake_only_on_busy_flips);
	tcase_add_test(tc, repeat_refreshes_and_move_flips_both);
	tcase_add_test(tc, end_latest_of_engine);
	tcase_add_test(tc, cap_per_engine);
	tcase_add_test(tc, cap_total);
	tcase_add_test(tc, ttl_forgets_in_start_order);
	tcase_add_test(tc, ttl_zero_never_expires);
	tcase_add_test(tc, retain_drops_gone_engines);
	tcase_add_test(tc, view_sorted_by_engine_then_start);
	tcase_add_test(tc, many_streams_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(streams_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
