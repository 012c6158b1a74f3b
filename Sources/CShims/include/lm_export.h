#ifndef LABELMILL_LM_EXPORT_H
#define LABELMILL_LM_EXPORT_H

/* syncfs(2), which glibc declares only under _GNU_SOURCE: one flush of the file
   system holding fd, instead of an fsync per file of a large export. */
int lm_syncfs(int fd);

#endif
