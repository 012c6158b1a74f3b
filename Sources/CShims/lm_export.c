#define _GNU_SOURCE
#include "lm_export.h"
#include <unistd.h>

int lm_syncfs(int fd) {
    return syncfs(fd);
}
