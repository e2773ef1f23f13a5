/* cmulti.c - the one curl-multi <-> epoll adapter, shared by the Docker
 * events stream, engine probes and the tests: sockets, timer, completions. */
#include <stdlib.h>
#include <sys/epoll.h>

#include "cmulti.h"
#include "util.h"

struct cmulti {
	CURLM *multi;
	struct evloop *loop;
	struct ev_timer timer;
	size_t running; /* transfers added and not yet done */
	struct ctransfer *transfers; /* the same, as a list (for cmulti_free) */
};

/* What curl_multi_assign keeps for each socket curl watches. */
struct csock {
	struct ev_handler h;
	struct cmulti *m;
};

/* What CURLOPT_PRIVATE keeps for each transfer. */
struct ctransfer {
	cmulti_done_fn done;
	void *ud;
	CURL *easy;
	struct ctransfer *prev, *next;
};

static void unlink_transfer(struct cmulti *m, struct ctransfer *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		m->transfers = t->next;
	if (t->next)
		t->next->prev = t->prev;
	m->running--;
}

static void drain(struct cmulti *m)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(m->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode res = msg->data.result;
		struct ctransfer *t = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
		curl_multi_remove_handle(m->multi, easy);
		curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		if (t) {
			unlink_transfer(m, t);
			cmulti_done_fn done = t->done;
			void *ud = t->ud;
			free(t);
			done(easy, res, ud);
		}
	}
}

static void on_socket_ready(struct ev_handler *h, uint32_t events)
{
	struct csock *s = (struct csock *)h;
	struct cmulti *m = s->m;
	int flags = 0, still;
	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	/* s may be freed inside (CURL_POLL_REMOVE): touch only m from here. */
	curl_multi_socket_action(m->multi, h->fd, flags, &still);
	drain(m);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct cmulti *m = userp;
	struct csock *s = socketp;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			evloop_del(m->loop, &s->h);
			curl_multi_assign(m->multi, fd, NULL);
			free(s);
		}
		return 0;
	}
	if (!s) {
		s = xcalloc(1, sizeof *s);
		s->h.fd = (int)fd;
		s->h.cb = on_socket_ready;
		s->m = m;
		curl_multi_assign(m->multi, fd, s);
	}
	uint32_t ev = 0;
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		ev |= EPOLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		ev |= EPOLLOUT;
	evloop_add(m->loop, &s->h, ev);
	return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct cmulti *m = userp;
	/* 0 means "now", but from the loop, never from inside this callback. */
	ev_timer_arm(&m->timer, timeout_ms < 0 ? -1 : timeout_ms, 0);
	return 0;
}

static void timer_fired(struct ev_timer *t)
{
	struct cmulti *m = t->ud;
	int still;
	curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &still);
	drain(m);
}

struct cmulti *cmulti_new(struct evloop *l)
{
	struct cmulti *m = xcalloc(1, sizeof *m);
	m->multi = curl_multi_init();
	if (!m->multi)
		fatal("curl_multi_init failed");
	m->loop = l;
	ev_timer_init(l, &m->timer, timer_fired, m);
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
	return m;
}

int cmulti_add(struct cmulti *m, CURL *easy, cmulti_done_fn done, void *ud)
{
	struct ctransfer *t = xcalloc(1, sizeof *t);
	t->done = done;
	t->ud = ud;
	t->easy = easy;
	curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)t);
	if (curl_multi_add_handle(m->multi, easy) != CURLM_OK) {
		curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		free(t);
		return -1;
	}
	t->next = m->transfers;
	if (t->next)
		t->next->prev = t;
	m->transfers = t;
	m->running++;
	return 0;
}

void cmulti_remove(struct cmulti *m, CURL *easy)
{
	struct ctransfer *t = NULL;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
	if (!t)
		return; /* not ours, or already done */
	curl_multi_remove_handle(m->multi, easy);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
	unlink_transfer(m, t);
	free(t);
}

size_t cmulti_running(const struct cmulti *m)
{
	return m->running;
}

void cmulti_free(struct cmulti *m)
{
	if (!m)
		return;
	/* Owners remove their transfers first (cmulti_remove); anything left
	 * here is detached without its callback. */
	while (m->transfers)
		cmulti_remove(m, m->transfers->easy);
	curl_multi_cleanup(m->multi);
	ev_timer_close(m->loop, &m->timer);
	free(m);
}
