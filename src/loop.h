/* loop.h - the daemon: an epoll loop that owns every input and never waits on
 * a remote call; reconcile passes run on a worker thread. */
#ifndef ACE_LOOP_H
#define ACE_LOOP_H

struct config;

/* Runs the daemon on cfg (loaded from config_path, which is then watched;
 * the loop takes cfg over) until SIGTERM/SIGINT. Returns the exit status (0
 * on a clean stop). Engines are never stopped on exit. */
int loop_run(const char *config_path, struct config *cfg);

#endif
