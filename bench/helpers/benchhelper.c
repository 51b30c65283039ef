/*
 * benchhelper: the workloads of the sexton benchmark, in one static binary.
 * Compiled by `go run ./bench` with gcc; every mode is bounded in time.
 *
 *   benchhelper nsinit PROG ARGS...   must be PID 1 of a fresh PID+mount namespace:
 *                                     joins $BENCH_CGROUP (cgroup v1 dir) if set,
 *                                     mounts a fresh /proc, then execs PROG.
 *   benchhelper orphans N STAMPS      prints "ready", waits for a byte on stdin,
 *                                     makes N orphans as fast as it can, prints
 *                                     "storm START END MADE FAILED" (CLOCK_MONOTONIC ns),
 *                                     then sleeps until killed. Each orphan writes its
 *                                     CLOCK_MONOTONIC ns just before it exits into the
 *                                     file STAMPS (an array of uint64 indexed by PID).
 *   benchhelper sigrecv               SIGUSR1 handler writes its CLOCK_MONOTONIC ns
 *                                     (8 bytes) to stdout; prints "ready\n" first.
 *   benchhelper termrecv              the same for SIGTERM: the first one is stamped and
 *                                     survived, the second is stamped and then kills it.
 *   benchhelper stormchild            ignores SIGUSR1, SIGUSR2 and the real-time signals;
 *                                     prints "ready\n"; on SIGTERM writes its stamp and
 *                                     dies of SIGTERM; on a byte on stdin writes its stamp
 *                                     and exits 0.
 *   benchhelper sigstorm PID SECS     sends PID queued real-time signals SIGRTMIN+1..+8
 *                                     (sigqueue), and every 8th time SIGUSR1 or SIGUSR2,
 *                                     as fast as it can for SECS seconds; prints
 *                                     "sigstorm QUEUED USR REFUSED" (REFUSED: EAGAIN, the
 *                                     queue was full).
 *   benchhelper exit N                exits N at once.
 *   benchhelper idle                  prints "ready\n", sleeps until killed.
 *   benchhelper termwait              prints "ready\n", waits for SIGTERM with the
 *                                     default disposition (dies of it at once).
 *   benchhelper flush                 forks a background flusher that needs 300 ms
 *                                     after SIGTERM; the foreground dies of SIGTERM at once.
 *   benchhelper forkbomb SECS         forks as fast as it can (every process forks and
 *                                     lives 20 ms) for SECS seconds, prints
 *                                     "bomb FORKS FAILURES".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
	perror(what);
	_exit(111);
}

static void sleep_forever(void) {
	for (;;)
		pause();
}

static int nsinit(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: benchhelper nsinit PROG ARGS...\n");
		return 2;
	}
	if (getpid() != 1) {
		fprintf(stderr, "benchhelper nsinit: not PID 1 (pid %d)\n", getpid());
		return 2;
	}
	const char *cg = getenv("BENCH_CGROUP");
	if (cg && *cg) {
		char path[4096];
		snprintf(path, sizeof path, "%s/cgroup.procs", cg);
		int fd = open(path, O_WRONLY);
		if (fd < 0 || write(fd, "0", 1) != 1)
			die("join cgroup");
		close(fd);
		unsetenv("BENCH_CGROUP");
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("make / private");
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die("mount /proc");
	execv(argv[2], argv + 2);
	die(argv[2]);
	return 127;
}

/* Orphan storm: fork; the child forks a grandchild that exits at once, the
 * child exits, we reap only the child. The grandchild is reparented to PID 1. */
static int orphans(long n, const char *stamps_path) {
	int sfd = open(stamps_path, O_RDWR);
	struct stat sst;
	if (sfd < 0 || fstat(sfd, &sst) < 0)
		die("orphans: stamps file");
	long slots = sst.st_size / (long)sizeof(uint64_t);
	uint64_t *stamps = mmap(NULL, sst.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
	if (stamps == MAP_FAILED)
		die("orphans: mmap stamps");
	close(sfd);
	char go;
	if (write(1, "ready\n", 6) != 6 || read(0, &go, 1) != 1)
		die("orphans: handshake");
	uint64_t start = now_ns(), fail_since = 0;
	long made = 0, failed = 0;
	while (made < n) {
		pid_t c = fork();
		if (c == 0) {
			pid_t g = fork();
			if (g == 0) {
				pid_t self = getpid();
				if (self < slots)
					__atomic_store_n(&stamps[self], now_ns(), __ATOMIC_RELEASE);
				_exit(0);
			}
			_exit(g < 0 ? 1 : 0);
		}
		int st = 0;
		if (c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			made++;
			fail_since = 0;
			continue;
		}
		/* fork failed here or in the child (pids limit): retry, give up after 1 s */
		failed++;
		if (!fail_since)
			fail_since = now_ns();
		else if (now_ns() - fail_since > 1000000000ull)
			break;
		sched_yield();
	}
	uint64_t end = now_ns();
	printf("storm %llu %llu %ld %ld\n", (unsigned long long)start, (unsigned long long)end, made, failed);
	fflush(stdout);
	sleep_forever();
	return 0;
}

static void on_usr1(int sig) {
	(void)sig;
	uint64_t t = now_ns();
	ssize_t r = write(1, &t, sizeof t);
	(void)r;
}

static int sigrecv(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		die("sigaction");
	if (write(1, "ready\n", 6) != 6)
		die("write");
	sleep_forever();
	return 0;
}

static int ready_and_wait(void) {
	if (write(1, "ready\n", 6) != 6)
		die("write");
	sleep_forever();
	return 0;
}

static volatile sig_atomic_t got_term;
static void on_term(int sig) {
	(void)sig;
	got_term = 1;
}

/* flush: the background process announces "flushing" on SIGTERM, needs
 * 300 ms, then writes "flushed". Both lines go to the shared stdout pipe. */
static int flush(void) {
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	pid_t bg = fork();
	if (bg < 0)
		die("fork");
	if (bg == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_term;
		sigaction(SIGTERM, &sa, NULL);
		if (write(1, "bgready\n", 8) != 8)
			_exit(1);
		sigprocmask(SIG_SETMASK, &old, NULL);
		while (!got_term)
			pause();
		if (write(1, "flushing\n", 9) != 9)
			_exit(1);
		struct timespec d = {0, 300 * 1000 * 1000};
		while (nanosleep(&d, &d) < 0 && errno == EINTR)
			;
		if (write(1, "flushed\n", 8) != 8)
			_exit(1);
		_exit(0);
	}
	/* SIGTERM stays blocked in the background until its handler is in place */
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (write(1, "ready\n", 6) != 6)
		die("write");
	sleep_forever(); /* SIGTERM, default disposition: dies at once */
	return 0;
}

/* forkbomb: every process forks as fast as it can and lives at most 20 ms
 * (the bomb as a whole runs SECS seconds); nobody waits, so everything ends
 * up reparented to PID 1, which must reap while the pids limit is reached. */
static int forkbomb(double secs) {
	uint64_t deadline = now_ns() + (uint64_t)(secs * 1e9);
	long *counts = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED)
		die("mmap");
	pid_t bomber = fork();
	if (bomber < 0)
		die("fork");
	if (bomber == 0) {
		uint64_t end = deadline;
		for (;;) {
			uint64_t t = now_ns();
			if (t >= end)
				_exit(0);
			pid_t p = fork();
			if (p < 0) {
				__atomic_add_fetch(&counts[1], 1, __ATOMIC_RELAXED);
				sched_yield();
			} else if (p > 0) {
				__atomic_add_fetch(&counts[0], 1, __ATOMIC_RELAXED);
			} else {
				uint64_t life = now_ns() + 20000000ull;
				end = life < deadline ? life : deadline;
			}
		}
	}
	int st;
	while (waitpid(bomber, &st, 0) < 0 && errno == EINTR)
		;
	/* let the last bombers notice the deadline */
	usleep(200000);
	printf("bomb %ld %ld\n", counts[0], counts[1]);
	fflush(stdout);
	sleep_forever();
	return 0;
}

/* die_of dies of sig, or exits 128+sig as PID 1 (the kernel drops a
 * default-action signal that PID 1 sends itself). */
static void die_of(int sig) {
	if (getpid() == 1)
		_exit(128 + sig);
	signal(sig, SIG_DFL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL); /* blocked while its handler runs */
	raise(sig);
	_exit(128 + sig);
}

static volatile sig_atomic_t terms;
static void on_term_stamp(int sig) {
	uint64_t t = now_ns();
	ssize_t r = write(1, &t, sizeof t);
	(void)r;
	if (++terms >= 2)
		die_of(sig);
}

static int termrecv(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term_stamp;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0)
		die("sigaction");
	if (write(1, "ready\n", 6) != 6)
		die("write");
	sleep_forever();
	return 0;
}

static void on_term_die(int sig) {
	uint64_t t = now_ns();
	ssize_t r = write(1, &t, sizeof t);
	(void)r;
	die_of(sig);
}

static int stormchild(void) {
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
		signal(s, SIG_IGN);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term_die;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0)
		die("sigaction");
	if (write(1, "ready\n", 6) != 6)
		die("write");
	char c;
	while (read(0, &c, 1) < 0 && errno == EINTR)
		;
	uint64_t t = now_ns();
	if (write(1, &t, sizeof t) != sizeof t)
		die("write");
	_exit(0);
}

static int sigstorm(pid_t pid, double secs) {
	uint64_t deadline = now_ns() + (uint64_t)(secs * 1e9);
	long queued = 0, usr = 0, refused = 0;
	union sigval v = {0};
	for (unsigned i = 0, rt = 0; now_ns() < deadline; i++) {
		if (i % 8 == 7) {
			if (kill(pid, (i / 8) % 2 ? SIGUSR2 : SIGUSR1) == 0)
				usr++;
			else if (errno == ESRCH)
				break;
			continue;
		}
		v.sival_int = (int)i;
		if (sigqueue(pid, SIGRTMIN + 1 + (int)(rt++ % 8), v) == 0)
			queued++;
		else if (errno == EAGAIN)
			refused++;
		else if (errno == ESRCH)
			break;
		else
			die("sigqueue");
	}
	printf("sigstorm %ld %ld %ld\n", queued, usr, refused);
	return 0;
}

int main(int argc, char **argv) {
	if (argc < 2) {
		fprintf(stderr, "usage: benchhelper MODE ...\n");
		return 2;
	}
	const char *m = argv[1];
	if (!strcmp(m, "nsinit"))
		return nsinit(argc, argv);
	if (!strcmp(m, "orphans") && argc == 4)
		return orphans(atol(argv[2]), argv[3]);
	if (!strcmp(m, "termrecv"))
		return termrecv();
	if (!strcmp(m, "stormchild"))
		return stormchild();
	if (!strcmp(m, "sigstorm") && argc == 4)
		return sigstorm((pid_t)atol(argv[2]), atof(argv[3]));
	if (!strcmp(m, "exit") && argc == 3)
		return atoi(argv[2]);
	if (!strcmp(m, "sigrecv"))
		return sigrecv();
	if (!strcmp(m, "idle") || !strcmp(m, "termwait"))
		return ready_and_wait();
	if (!strcmp(m, "flush"))
		return flush();
	if (!strcmp(m, "forkbomb") && argc == 3)
		return forkbomb(atof(argv[2]));
	fprintf(stderr, "benchhelper: unknown mode %s\n", m);
	return 2;
}
