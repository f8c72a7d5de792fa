// libFuzzer driver for a SharpFuzz target: libFuzzer runs in this process, the .NET harness in a
// child started once. Each input goes to the child through shared memory; the child runs it and
// leaves its edge counters in the same memory, which this side copies into libFuzzer's extra
// counters, so libFuzzer sees .NET coverage as its own. A failed input is reported as a crash.
//
// The protocol is SharpFuzz's (Fuzzer.LibFuzzer.Run): the environment names a System V shared memory
// segment (MAP_SIZE counter bytes, then the input) and two pipes on fixed descriptors; the child
// says it is ready with one 4-byte status, then for each 4-byte input length answers a 4-byte status
// (non-zero: the harness threw).
//
// Flags, besides libFuzzer's own: --target_path=PROGRAM --target_arg=ARG (one argument).

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <unistd.h>

#define MAP_SIZE (1 << 16)
#define DATA_SIZE (1 << 20)
#define CONTROL_FD 198
#define STATUS_FD 199

__attribute__((weak, section("__libfuzzer_extra_counters"))) uint8_t extra_counters[MAP_SIZE];

static int control_fd;
static int status_fd;
static int shm_id;
static uint8_t *shared;

static void fail(const char *what)
{
    fprintf(stderr, "libfuzzer-dotnet: %s: %s\n", what, errno ? strerror(errno) : "unexpected");
    exit(1);
}

static const char *flag(int argc, char **argv, const char *name)
{
    size_t length = strlen(name);
    for (int i = 1; i < argc; i++)
    {
        if (strncmp(argv[i], name, length) == 0 && argv[i][length] == '=' && argv[i][length + 1])
        {
            return argv[i] + length + 1;
        }
    }

    return NULL;
}

static void remove_shared(void)
{
    shmctl(shm_id, IPC_RMID, NULL);
}

// Reads or writes exactly 4 bytes, retrying on EINTR; returns the byte count of the last attempt.
static ssize_t transfer(int fd, void *word, int writing)
{
    ssize_t result;
    do
    {
        result = writing ? write(fd, word, 4) : read(fd, word, 4);
    } while (result == -1 && errno == EINTR);
    return result;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *path = flag(*argc, *argv, "--target_path");
    const char *arg = flag(*argc, *argv, "--target_arg");
    if (!path)
    {
        fprintf(stderr, "libfuzzer-dotnet: --target_path=PROGRAM is required\n");
        exit(1);
    }

    int control[2];
    int status[2];
    if (pipe(control) || pipe(status))
    {
        fail("pipe");
    }

    shm_id = shmget(IPC_PRIVATE, MAP_SIZE + DATA_SIZE, IPC_CREAT | IPC_EXCL | 0600);
    if (shm_id < 0)
    {
        fail("shmget");
    }

    atexit(remove_shared);
    shared = shmat(shm_id, NULL, 0);
    if (shared == (void *)-1)
    {
        fail("shmat");
    }

    pid_t child = fork();
    if (child < 0)
    {
        fail("fork");
    }

    if (child == 0)
    {
        if (dup2(control[0], CONTROL_FD) < 0 || dup2(status[1], STATUS_FD) < 0)
        {
            fail("dup2");
        }

        close(control[0]);
        close(control[1]);
        close(status[0]);
        close(status[1]);
        char id[16];
        snprintf(id, sizeof id, "%d", shm_id);
        if (setenv("__LIBFUZZER_SHM_ID", id, 1) || setenv("__LIBFUZZER_CONTROL_PIPE_ID", "198", 1) ||
            setenv("__LIBFUZZER_STATUS_PIPE_ID", "199", 1))
        {
            fail("setenv");
        }

        execlp(path, path, arg, (char *)NULL);
        fail(path);
    }

    close(control[0]);
    close(status[1]);
    control_fd = control[1];
    status_fd = status[0];
    int32_t ready;
    if (transfer(status_fd, &ready, 0) != 4)
    {
        fail("the .NET target did not start");
    }

    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > DATA_SIZE)
    {
        fprintf(stderr, "libfuzzer-dotnet: inputs are limited to %d bytes\n", DATA_SIZE);
        exit(1);
    }

    memset(shared, 0, MAP_SIZE);
    memcpy(shared + MAP_SIZE, data, size);
    int32_t length = (int32_t)size;
    if (transfer(control_fd, &length, 1) != 4)
    {
        fail("write to the .NET target");
    }

    int32_t status;
    ssize_t got = transfer(status_fd, &status, 0);
    memcpy(extra_counters, shared, MAP_SIZE);
    if (got != 4)
    {
        fail("the .NET target died");
    }

    if (status != 0)
    {
        __builtin_trap();
    }

    return 0;
}
