// Keeps the Linux binaries loadable on glibc 2.28 (RHEL 8, Debian 10, Ubuntu 18.04+) although they are built
// on a newer glibc. The linker binds each libc call to the newest version of the symbol it links against, so a
// build on glibc 2.36 requires GLIBC_2.34 (pthread_* moved into libc), 2.32 (__libc_single_threaded) and 2.36
// (arc4random) — all three through the statically linked libstdc++, not through tdfast's own code.
//
// The link (binding.gyp, CMakeLists.txt: the "linux" entry of native/sources.json) passes --wrap=SYMBOL for
// every symbol below, which sends each reference in every object, libstdc++.a's included, to __wrap_SYMBOL
// here; these call the symbol's oldest version (the architecture's base version: GLIBC_2.2.5 on x86-64,
// GLIBC_2.17 on AArch64), which every glibc since keeps exporting. test/glibc.test.mjs reads the shipped
// binaries' version needs and fails on anything above 2.28.
#include <cstdint>
#include <cstdlib>  // defines __GLIBC__ on glibc

#if defined(__linux__) && defined(__GLIBC__)

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define TDF_GLIBC_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define TDF_GLIBC_BASE "GLIBC_2.17"
#else
#error "glibc_compat.cc: no base glibc version known for this architecture"
#endif

// Each wrapper is a tail jump to NAME at its old version: the arguments stay in their registers, so one
// assembly template serves every signature. The list: what the statically linked libstdc++ (threads, once,
// thread-specific keys) and the static CUDA runtime (dl*, sem_*, shm_*, rwlocks, spinlocks) call.
#if defined(__x86_64__)
#define TDF_TAIL_JUMP(target) "jmp " target "@PLT\n"
#else
#define TDF_TAIL_JUMP(target) "b " target "\n"
#endif
#define TDF_FORWARD_AT(name, version)                                              \
  __asm__(".symver tdf_old_" #name ", " #name "@" version                          \
          "\n"                                                                     \
          ".globl __wrap_" #name "\n.hidden __wrap_" #name "\n.type __wrap_" #name \
          ", %function\n"                                                          \
          ".pushsection .text\n.p2align 4\n__wrap_" #name                          \
          ":\n" TDF_TAIL_JUMP("tdf_old_" #name) ".size __wrap_" #name ", . - __wrap_" #name "\n.popsection\n");
#define TDF_FORWARD(name) TDF_FORWARD_AT(name, TDF_GLIBC_BASE)

TDF_FORWARD(pthread_create)
TDF_FORWARD(pthread_join)
TDF_FORWARD(pthread_detach)
TDF_FORWARD(pthread_kill)
TDF_FORWARD(pthread_once)
TDF_FORWARD(pthread_key_create)
TDF_FORWARD(__pthread_key_create)
TDF_FORWARD(pthread_key_delete)
TDF_FORWARD(pthread_getspecific)
TDF_FORWARD(pthread_setspecific)
TDF_FORWARD(pthread_mutex_trylock)
TDF_FORWARD(pthread_mutexattr_init)
TDF_FORWARD(pthread_mutexattr_destroy)
TDF_FORWARD(pthread_mutexattr_settype)
TDF_FORWARD(pthread_mutexattr_setpshared)
TDF_FORWARD(pthread_condattr_setpshared)
TDF_FORWARD(pthread_rwlock_init)
TDF_FORWARD(pthread_rwlock_destroy)
TDF_FORWARD(pthread_rwlock_rdlock)
TDF_FORWARD(pthread_rwlock_wrlock)
TDF_FORWARD(pthread_rwlock_tryrdlock)
TDF_FORWARD(pthread_rwlock_trywrlock)
TDF_FORWARD(pthread_rwlock_timedrdlock)
TDF_FORWARD(pthread_rwlock_timedwrlock)
TDF_FORWARD(pthread_rwlock_unlock)
TDF_FORWARD(pthread_rwlockattr_init)
TDF_FORWARD(pthread_rwlockattr_destroy)
TDF_FORWARD(pthread_rwlockattr_setpshared)
TDF_FORWARD(pthread_spin_init)
TDF_FORWARD(pthread_spin_destroy)
TDF_FORWARD(pthread_spin_lock)
TDF_FORWARD(pthread_spin_trylock)
TDF_FORWARD(pthread_spin_unlock)
TDF_FORWARD(sem_init)
TDF_FORWARD(sem_destroy)
TDF_FORWARD(sem_wait)
TDF_FORWARD(sem_trywait)
TDF_FORWARD(sem_timedwait)
TDF_FORWARD(sem_post)
TDF_FORWARD(shm_open)
TDF_FORWARD(shm_unlink)
TDF_FORWARD(dlopen)
TDF_FORWARD(dlclose)
TDF_FORWARD(dlsym)
TDF_FORWARD(dlvsym)
TDF_FORWARD(dlerror)
#if defined(__x86_64__)
TDF_FORWARD_AT(dlmopen, "GLIBC_2.3.4")  // added after x86-64's base version
#else
TDF_FORWARD(dlmopen)
#endif

// libstdc++ reads this flag to skip atomic reference counting while a process has one thread. glibc < 2.32
// has no such flag; 0 ("not known to be single-threaded") keeps the atomic operations, which is always correct
// (and a Node.js process is never single-threaded anyway).
extern "C" {
__attribute__((visibility("hidden"))) char __wrap___libc_single_threaded = 0;
}

// std::random_device (compiled into libstdc++.a, never used by tdfast) calls arc4random (glibc 2.36). The
// kernel's getrandom (Linux 3.17) gives the same quality; /dev/urandom where the syscall is refused.
extern "C" __attribute__((visibility("hidden"))) uint32_t __wrap_arc4random() {
  uint32_t value = 0;
  for (;;) {
    const long got = syscall(SYS_getrandom, &value, sizeof value, 0);
    if (got == static_cast<long>(sizeof value)) return value;
    if (got < 0 && errno == EINTR) continue;
    break;
  }
  const int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    const ssize_t got = read(fd, &value, sizeof value);
    close(fd);
    if (got == static_cast<ssize_t>(sizeof value)) return value;
  }
  abort();  // no randomness at all: never return a predictable value from a random source
}

#endif
