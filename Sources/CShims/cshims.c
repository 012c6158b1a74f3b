#define _GNU_SOURCE
#include "cshims.h"
#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <turbojpeg.h>
#include <unistd.h>
#include <zlib.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

int lm_rename_noreplace(int olddirfd, const char *oldpath, int newdirfd, const char *newpath) {
    return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, RENAME_NOREPLACE);
}

int lm_lower_thread_priority(int nice_value) {
    /* Linux gives each thread its own nice value: this one only. */
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice_value);
}

int lm_syncfs(int fd) {
    return syncfs(fd);
}

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef RESOLVE_NO_MAGICLINKS
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#endif

struct lm_open_how {
    unsigned long long flags;
    unsigned long long mode;
    unsigned long long resolve;
};

int lm_lstat_beneath(int dirfd, const char *path, struct stat *out) {
    struct lm_open_how how = {
        .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
        .mode = 0,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    if (fd < 0) return -errno;
    int rc = fstat(fd, out) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}

static int refuse(lm_image_info *out, int code, const char *format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(out->message, sizeof out->message, format, args);
    va_end(args);
    return code;
}

static uint32_t be32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static int too_large(uint64_t width, uint64_t height, uint64_t max_pixels) {
    return width * height > max_pixels || width > LM_MAX_SIDE || height > LM_MAX_SIDE;
}

/* ---------------------------------------------------------------- PNG */

typedef struct {
    uint32_t width, height;
    int bit_depth, color_type, interlace;
} png_header;

static uint64_t png_row_bytes(const png_header *h, uint64_t width) {
    static const int channels[7] = {1, 0, 3, 1, 2, 0, 4};
    uint64_t bits = (uint64_t)channels[h->color_type] * (uint64_t)h->bit_depth;
    return (width * bits + 7) / 8;
}

/* Bytes the IDAT zlib stream must inflate to: each row of each Adam7 pass plus
   its filter byte. */
static uint64_t png_filtered_size(const png_header *h) {
    if (!h->interlace) return (uint64_t)h->height * (1 + png_row_bytes(h, h->width));
    static const uint32_t x0[7] = {0, 4, 0, 2, 0, 1, 0}, y0[7] = {0, 0, 4, 0, 2, 0, 1};
    static const uint32_t dx[7] = {8, 8, 4, 4, 2, 2, 1}, dy[7] = {8, 8, 8, 4, 4, 2, 2};
    uint64_t total = 0;
    for (int p = 0; p < 7; p++) {
        uint64_t w = h->width > x0[p] ? ((uint64_t)h->width - x0[p] + dx[p] - 1) / dx[p] : 0;
        uint64_t rows = h->height > y0[p] ? ((uint64_t)h->height - y0[p] + dy[p] - 1) / dy[p] : 0;
        if (w && rows) total += rows * (1 + png_row_bytes(h, w));
    }
    return total;
}

static int png_valid_depth(int color_type, int depth) {
    switch (color_type) {
    case 0: return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
    case 3: return depth == 1 || depth == 2 || depth == 4 || depth == 8;
    case 2: case 4: case 6: return depth == 8 || depth == 16;
    default: return 0;
    }
}

static int is_letter(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

/* Walks signature, chunks and CRCs through IEND, and inflates the IDAT stream
   to count its bytes and verify its Adler-32, all over the bytes in memory. */
static int png_walk(const unsigned char *d, size_t size, uint64_t max_pixels, lm_image_info *out, png_header *h) {
    static const unsigned char signature[8] = {137, 80, 78, 71, 13, 10, 26, 10};
    if (size < 8 && memcmp(d, signature, size) == 0)
        return refuse(out, LM_IMAGE_TRUNCATED, "the file ends after %zu bytes, inside the PNG signature", size);
    if (size < 8 || memcmp(d, signature, 8) != 0) {
        if (size >= 6 && memcmp(d, signature, 4) == 0 && (d[4] == '\n' || (d[4] == '\r' && d[5] == '\r')))
            return refuse(out, LM_IMAGE_CORRUPT,
                          "the PNG signature has its line endings changed, as happens when a file is copied in text mode");
        return refuse(out, LM_IMAGE_CORRUPT, "the PNG signature (the first 8 bytes) is damaged");
    }

    size_t pos = 8;
    char previous[5] = "";
    int seen_header = 0, seen_palette = 0, seen_data = 0, data_done = 0;
    z_stream z;
    memset(&z, 0, sizeof z);
    int z_open = 0, z_ended = 0, code = LM_IMAGE_OK;
    uint64_t expected = 0, produced = 0;
    unsigned char scratch[16384];

#define PNG_REFUSE(...) do { code = refuse(out, __VA_ARGS__); goto done; } while (0)
    for (;;) {
        if (size - pos < 8) {
            if (pos == size)
                PNG_REFUSE(LM_IMAGE_TRUNCATED, "the file ends after %zu bytes, after the %s chunk; the PNG has no IEND",
                           size, previous);
            PNG_REFUSE(LM_IMAGE_TRUNCATED,
                       "the file ends after %zu bytes, inside the chunk that follows %s; the PNG has no IEND",
                       size, previous);
        }
        const unsigned char *chunk = d + pos;
        uint32_t length = be32(chunk);
        const unsigned char *type = chunk + 4;
        if (!is_letter(type[0]) || !is_letter(type[1]) || !is_letter(type[2]) || !is_letter(type[3]))
            PNG_REFUSE(LM_IMAGE_CORRUPT, "the chunk header at byte %zu (after the %s chunk) is damaged", pos,
                       previous[0] ? previous : "signature");
        char name[5] = {(char)type[0], (char)type[1], (char)type[2], (char)type[3], 0};
        if (length > 0x7fffffffu)
            PNG_REFUSE(LM_IMAGE_CORRUPT, "the %s chunk at byte %zu claims an impossible length of %u bytes", name, pos,
                       length);
        if ((uint64_t)length + 12 > size - pos)
            PNG_REFUSE(LM_IMAGE_TRUNCATED,
                       "the file ends after %zu bytes, inside the %s chunk (which claims %u bytes); the PNG has no IEND",
                       size, name, length);
        if (crc32(0, type, length + 4) != be32(chunk + 8 + length))
            PNG_REFUSE(LM_IMAGE_CORRUPT, "CRC mismatch in chunk %s at byte %zu", name, pos);
        const unsigned char *body = chunk + 8;

        if (!seen_header) {
            if (memcmp(name, "CgBI", 4) == 0)
                PNG_REFUSE(LM_IMAGE_UNSUPPORTED, "this is an Apple-optimized PNG (CgBI) that only Apple software reads");
            if (memcmp(name, "IHDR", 4) != 0)
                PNG_REFUSE(LM_IMAGE_CORRUPT, "the first chunk is %s, not the IHDR header", name);
            if (length != 13)
                PNG_REFUSE(LM_IMAGE_CORRUPT, "the IHDR header has %u bytes instead of 13", length);
            h->width = be32(body);
            h->height = be32(body + 4);
            h->bit_depth = body[8];
            h->color_type = body[9];
            h->interlace = body[12];
            out->width = h->width;
            out->height = h->height;
            if (h->width == 0 || h->height == 0 || h->width > 0x7fffffffu || h->height > 0x7fffffffu)
                PNG_REFUSE(LM_IMAGE_CORRUPT, "the header claims an impossible size of %u x %u pixels", h->width,
                           h->height);
            if (!png_valid_depth(h->color_type, h->bit_depth))
                PNG_REFUSE(LM_IMAGE_CORRUPT, "the header claims an invalid colour type %d with bit depth %d",
                           h->color_type, h->bit_depth);
            if (body[10] != 0 || body[11] != 0 || h->interlace > 1)
                PNG_REFUSE(LM_IMAGE_CORRUPT, "the header names an unknown compression, filter or interlace method");
            if (too_large(h->width, h->height, max_pixels))
                PNG_REFUSE(LM_IMAGE_TOO_LARGE, "the image is %u x %u pixels", h->width, h->height);
            expected = png_filtered_size(h);
            if (inflateInit(&z) != Z_OK) PNG_REFUSE(LM_IMAGE_TOO_LARGE, "there is not enough memory to check it");
            z_open = 1;
            seen_header = 1;
        } else if (memcmp(name, "IHDR", 4) == 0) {
            PNG_REFUSE(LM_IMAGE_CORRUPT, "a second IHDR header at byte %zu", pos);
        } else if (memcmp(name, "IDAT", 4) == 0) {
            if (data_done)
                PNG_REFUSE(LM_IMAGE_CORRUPT, "the IDAT chunk at byte %zu is separated from the earlier image data",
                           pos);
            if (h->color_type == 3 && !seen_palette)
                PNG_REFUSE(LM_IMAGE_CORRUPT, "the palette image has no PLTE chunk before its image data");
            seen_data = 1;
            z.next_in = (unsigned char *)body;
            z.avail_in = length;
            /* Bytes after the end of the zlib stream are ignored, as libpng does. */
            while (z.avail_in > 0 && !z_ended) {
                z.next_out = scratch;
                z.avail_out = sizeof scratch;
                int ret = inflate(&z, Z_NO_FLUSH);
                produced += sizeof scratch - z.avail_out;
                /* Bounds the work a small file can cause (a deflate bomb). */
                if (produced > expected + (1u << 20))
                    PNG_REFUSE(LM_IMAGE_CORRUPT, "the compressed image data holds more than a %u x %u image needs",
                               h->width, h->height);
                if (ret == Z_STREAM_END) z_ended = 1;
                else if (ret == Z_BUF_ERROR) break;
                else if (ret != Z_OK)
                    PNG_REFUSE(LM_IMAGE_CORRUPT, "the compressed image data in the IDAT chunk at byte %zu is damaged (%s)",
                               pos, z.msg ? z.msg : "zlib error");
            }
        } else {
            if (seen_data) data_done = 1;
            if (memcmp(name, "PLTE", 4) == 0) {
                if (seen_data) PNG_REFUSE(LM_IMAGE_CORRUPT, "the PLTE chunk comes after the image data");
                seen_palette = 1;
            } else if (memcmp(name, "IEND", 4) == 0) {
                break;
            } else if (!(type[0] & 0x20)) {
                PNG_REFUSE(LM_IMAGE_UNSUPPORTED, "the file has a critical chunk %s that standard PNG readers do not know",
                           name);
            }
        }
        memcpy(previous, name, 5);
        pos += 12 + (size_t)length;
    }

    if (!seen_data) PNG_REFUSE(LM_IMAGE_CORRUPT, "the PNG has no image data (no IDAT chunk)");
    if (produced < expected)
        PNG_REFUSE(LM_IMAGE_CORRUPT, "the image data stops early: it holds %llu of the %llu bytes a %u x %u image needs",
                   (unsigned long long)produced, (unsigned long long)expected, h->width, h->height);
    if (!z_ended) PNG_REFUSE(LM_IMAGE_CORRUPT, "the compressed image data has no proper end (its zlib stream is cut)");
#undef PNG_REFUSE
done:
    if (z_open) inflateEnd(&z);
    return code;
}

typedef struct {
    const unsigned char *data;
    size_t size, pos;
    char message[200];
} png_source;

static void png_read_memory(png_structp png, png_bytep destination, size_t count) {
    png_source *source = png_get_io_ptr(png);
    if (count > source->size - source->pos) png_error(png, "read past the end of the file");
    memcpy(destination, source->data + source->pos, count);
    source->pos += count;
}

static void png_on_error(png_structp png, png_const_charp message) {
    png_source *source = png_get_error_ptr(png);
    snprintf(source->message, sizeof source->message, "%s", message);
    png_longjmp(png, 1);
}

/* Warnings concern ancillary details; the walk above already judged the structure. */
static void png_on_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

/* Reads from memory, with limits on sides and on what chunks may cost. */
static void png_read_bounded(png_structp png, png_source *source) {
    png_set_read_fn(png, source, png_read_memory);
    png_set_user_limits(png, LM_MAX_SIDE, LM_MAX_SIDE);
    png_set_chunk_cache_max(png, 1000);
    png_set_chunk_malloc_max(png, 8u << 20);
}

static int png_decode(const unsigned char *data, size_t size, const png_header *h, lm_image_info *out) {
    png_source source = {data, size, 0, ""};
    size_t row_size = (size_t)png_row_bytes(h, h->width);
    unsigned char *row = malloc(row_size);
    if (!row) return refuse(out, LM_IMAGE_TOO_LARGE, "there is not enough memory to check it");
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, png_on_error, png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        free(row);
        return refuse(out, LM_IMAGE_TOO_LARGE, "there is not enough memory to check it");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(row);
        return refuse(out, LM_IMAGE_CORRUPT, "the image data is damaged (libpng: %s)", source.message);
    }
    png_read_bounded(png, &source);
    /* png_walk has already verified every CRC and the zlib Adler-32: do not pay twice. */
    png_set_crc_action(png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
#ifdef PNG_IGNORE_ADLER32
    png_set_option(png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
#endif
    /* Skip every ancillary chunk: the check needs only the pixels, and skipped
       chunks cannot cost memory (iCCP, zTXt) or raise errors about metadata. */
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
    png_read_info(png, info);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) > row_size) png_error(png, "unexpected row size");
    for (int pass = 0; pass < passes; pass++)
        for (uint32_t y = 0; y < h->height; y++) png_read_row(png, row, NULL);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(row);
    return LM_IMAGE_OK;
}

int lm_check_png(const unsigned char *data, size_t size, uint64_t max_pixels, lm_image_info *out) {
    memset(out, 0, sizeof *out);
    png_header header;
    memset(&header, 0, sizeof header);
    int code = png_walk(data, size, max_pixels, out, &header);
    if (code != LM_IMAGE_OK) return code;
    return png_decode(data, size, &header, out);
}

/* --------------------------------------------------------------- JPEG */

static const char *jpeg_marker_name(int m, char buffer[16]) {
    switch (m) {
    case 0xC4: return "DHT";
    case 0xCC: return "DAC";
    case 0xDA: return "SOS";
    case 0xDB: return "DQT";
    case 0xDD: return "DRI";
    case 0xFE: return "COM";
    }
    if (m >= 0xC0 && m <= 0xCF) snprintf(buffer, 16, "SOF%d", m - 0xC0);
    else if (m >= 0xE0 && m <= 0xEF) snprintf(buffer, 16, "APP%d", m - 0xE0);
    else snprintf(buffer, 16, "0x%02X", m);
    return buffer;
}

static int is_frame_marker(int m) { return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC; }

enum { JPEG_MAX_JUNK = 16 };

typedef struct {
    size_t length;            /* through EOI */
    uint32_t width, height;   /* from the first frame header */
    int junk_count;           /* stray bytes between segments, which libjpeg skips with a warning */
    size_t junk_start[JPEG_MAX_JUNK], junk_end[JPEG_MAX_JUNK];
} jpeg_layout;

/* Walks markers from SOI through EOI; inside scans, skips entropy-coded data
   (stuffed 0xFF00 and restart markers) to the next marker. */
static int jpeg_walk(const unsigned char *d, size_t size, lm_image_info *out, jpeg_layout *layout) {
    char name_buffer[16];
    if (size < 2 || d[0] != 0xFF || d[1] != 0xD8) {
        if (size < 2)
            return refuse(out, LM_IMAGE_TRUNCATED, "the file ends after %zu bytes; the JPEG has no EOI marker", size);
        return refuse(out, LM_IMAGE_CORRUPT, "the file does not start with the JPEG start marker");
    }
    size_t pos = 2;
    int seen_frame = 0, seen_scan = 0;
    const char *where = "the header segments";
    for (;;) {
        size_t start = pos;
        while (pos < size && d[pos] != 0xFF) pos++;
        while (pos < size && d[pos] == 0xFF) pos++;
        if (pos >= size)
            return refuse(out, LM_IMAGE_TRUNCATED, "the file ends after %zu bytes, in %s; the JPEG has no EOI marker", size,
                          where);
        int m = d[pos++];
        if (d[start] != 0xFF || m == 0x00) {
            if (layout->junk_count == JPEG_MAX_JUNK)
                return refuse(out, LM_IMAGE_CORRUPT, "there are many stray bytes between the JPEG's parts");
            layout->junk_start[layout->junk_count] = start;
            layout->junk_end[layout->junk_count] = m == 0x00 ? pos : pos - 2;
            layout->junk_count++;
            if (m == 0x00) continue;
        }
        if (m == 0xD9) {
            if (!seen_scan) return refuse(out, LM_IMAGE_CORRUPT, "the JPEG ends (EOI marker) before any image data");
            layout->length = pos;
            return LM_IMAGE_OK;
        }
        if (m == 0xD8) return refuse(out, LM_IMAGE_CORRUPT, "a second JPEG start marker at byte %zu", pos - 2);
        if ((m >= 0xD0 && m <= 0xD7) || m == 0x01) continue;
        if (m < 0xC0)
            return refuse(out, LM_IMAGE_CORRUPT, "an invalid JPEG marker (0x%02X) at byte %zu", m, pos - 2);
        const char *name = jpeg_marker_name(m, name_buffer);
        if (size - pos < 2)
            return refuse(out, LM_IMAGE_TRUNCATED, "the file ends after %zu bytes, inside the %s segment; the JPEG has no EOI marker",
                          size, name);
        size_t length = ((size_t)d[pos] << 8) | d[pos + 1];
        if (length < 2)
            return refuse(out, LM_IMAGE_CORRUPT, "the %s segment at byte %zu has an impossible length", name, pos - 2);
        if (length > size - pos)
            return refuse(out, LM_IMAGE_TRUNCATED, "the file ends after %zu bytes, inside the %s segment; the JPEG has no EOI marker",
                          size, name);
        if (is_frame_marker(m) && !seen_frame) {
            if (length < 8) return refuse(out, LM_IMAGE_CORRUPT, "the frame header (%s) is too short", name);
            layout->height = ((uint32_t)d[pos + 3] << 8) | d[pos + 4];
            layout->width = ((uint32_t)d[pos + 5] << 8) | d[pos + 6];
            seen_frame = 1;
        }
        pos += length;
        if (m != 0xDA) continue;
        if (!seen_frame) return refuse(out, LM_IMAGE_CORRUPT, "image data (SOS) comes before the frame header");
        seen_scan = 1;
        where = "the compressed image data";
        for (;;) {
            const unsigned char *ff = pos < size ? memchr(d + pos, 0xFF, size - pos) : NULL;
            if (!ff || (size_t)(ff - d) + 1 >= size)
                return refuse(out, LM_IMAGE_TRUNCATED,
                              "the file ends after %zu bytes, inside the compressed image data; the JPEG has no EOI marker",
                              size);
            pos = (size_t)(ff - d);
            unsigned char next = d[pos + 1];
            if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) pos += 2;
            else if (next == 0xFF) pos += 1;
            else break;
        }
        where = "the data after a scan";
    }
}

static int jpeg_unsupported(const char *message) {
    return strstr(message, "Unsupported") || strstr(message, "unsupported") || strstr(message, "DNL") ||
           strstr(message, "not supported") || strstr(message, "more than");
}

/* TurboJPEG prefixes its own errors with the function name, which means nothing to a user. */
static const char *jpeg_plain(const char *message) {
    const char *p = strstr(message, "(): ");
    return p ? p + 4 : message;
}

int lm_check_jpeg(const unsigned char *data, size_t size, uint64_t max_pixels, lm_image_info *out) {
    memset(out, 0, sizeof *out);
    jpeg_layout layout;
    memset(&layout, 0, sizeof layout);
    int code = jpeg_walk(data, size, out, &layout);
    if (code != LM_IMAGE_OK) return code;

    /* Stray bytes between segments are harmless; drop them so that every
       warning left from the decoder means damaged image data. */
    unsigned char *clean = NULL;
    const unsigned char *jpeg = data;
    size_t jpeg_size = layout.length;
    if (layout.junk_count > 0) {
        clean = malloc(layout.length);
        if (!clean) return refuse(out, LM_IMAGE_TOO_LARGE, "there is not enough memory to check it");
        size_t from = 0, to = 0;
        for (int i = 0; i < layout.junk_count; i++) {
            memcpy(clean + to, data + from, layout.junk_start[i] - from);
            to += layout.junk_start[i] - from;
            from = layout.junk_end[i];
        }
        memcpy(clean + to, data + from, layout.length - from);
        jpeg = clean;
        jpeg_size = to + layout.length - from;
    }

    tjhandle tj = tjInitDecompress();
    if (!tj) {
        free(clean);
        return refuse(out, LM_IMAGE_TOO_LARGE, "there is not enough memory to check it");
    }
    int width = 0, height = 0, subsampling = 0, colorspace = 0;
    if (tjDecompressHeader3(tj, jpeg, (unsigned long)jpeg_size, &width, &height, &subsampling, &colorspace) != 0) {
        const char *message = jpeg_plain(tjGetErrorStr2(tj));
        /* An unusual chroma subsampling still decodes to RGB; take the size from the frame header. */
        if (strstr(message, "subsampling") && layout.width && layout.height) {
            width = (int)layout.width;
            height = (int)layout.height;
            colorspace = TJCS_YCbCr;
        } else {
            code = refuse(out, jpeg_unsupported(message) ? LM_IMAGE_UNSUPPORTED : LM_IMAGE_CORRUPT,
                          "the decoder reports \"%s\"", message);
            goto done;
        }
    }
    out->width = (uint32_t)width;
    out->height = (uint32_t)height;
    if (too_large((uint64_t)width, (uint64_t)height, max_pixels)) {
        code = refuse(out, LM_IMAGE_TOO_LARGE, "the image is %d x %d pixels", width, height);
        goto done;
    }

    int count = 0;
    tjscalingfactor *factors = tjGetScalingFactors(&count);
    tjscalingfactor smallest = {1, 1};
    for (int i = 0; factors && i < count; i++)
        if ((uint64_t)factors[i].num * smallest.denom < (uint64_t)smallest.num * factors[i].denom) smallest = factors[i];
    int scaled_width = TJSCALED(width, smallest), scaled_height = TJSCALED(height, smallest);
    int format = colorspace == TJCS_GRAY ? TJPF_GRAY
                 : (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) ? TJPF_CMYK
                                                                         : TJPF_RGB;
    unsigned char *pixels = malloc((size_t)scaled_width * scaled_height * tjPixelSize[format]);
    if (!pixels) {
        code = refuse(out, LM_IMAGE_TOO_LARGE, "there is not enough memory to check it");
        goto done;
    }
    /* Stop on the first warning (it means the decoder guessed pixels) and
       on progressive files with absurdly many scans, which only waste time. */
    int flags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS | TJFLAG_FASTDCT | TJFLAG_FASTUPSAMPLE;
    if (tjDecompress2(tj, jpeg, (unsigned long)jpeg_size, pixels, scaled_width, 0, scaled_height, format, flags) != 0) {
        const char *message = jpeg_plain(tjGetErrorStr2(tj));
        code = refuse(out, jpeg_unsupported(message) ? LM_IMAGE_UNSUPPORTED : LM_IMAGE_CORRUPT,
                      "the decoder reports \"%s\"", message);
    }
    free(pixels);
done:
    tjDestroy(tj);
    free(clean);
    return code;
}

int lm_make_test_jpeg(int width, int height, int gray, int progressive, unsigned char **out, size_t *out_size) {
    if (width <= 0 || height <= 0) return -1;
    int format = gray ? TJPF_GRAY : TJPF_RGB;
    size_t pixel_size = (size_t)tjPixelSize[format];
    unsigned char *pixels = malloc((size_t)width * height * pixel_size);
    if (!pixels) return -1;
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++) {
            unsigned char *p = pixels + ((size_t)y * width + x) * pixel_size;
            p[0] = (unsigned char)(x * 255 / width);
            if (!gray) {
                p[1] = (unsigned char)(y * 255 / height);
                p[2] = (unsigned char)((x + y) & 0xFF);
            }
        }
    tjhandle tj = tjInitCompress();
    if (!tj) {
        free(pixels);
        return -1;
    }
    unsigned char *jpeg = NULL;
    unsigned long jpeg_size = 0;
    int flags = progressive ? TJFLAG_PROGRESSIVE : 0;
    int result = tjCompress2(tj, pixels, width, 0, height, format, &jpeg, &jpeg_size, gray ? TJSAMP_GRAY : TJSAMP_420,
                             85, flags);
    tjDestroy(tj);
    free(pixels);
    if (result != 0) {
        tjFree(jpeg);
        return -1;
    }
    *out = jpeg;
    *out_size = jpeg_size;
    return 0;
}

void lm_free_jpeg(unsigned char *buffer) { tjFree(buffer); }

/* ---------------------------------------------------------- thumbnails */

/* Accumulates source rows into side x side cells: cell (tx, ty) is the mean
   of source columns [x0[tx], x1[tx]) and rows [y0[ty], y1[ty]), each range at
   least one pixel, so a small image is repeated and a large one averaged. */
typedef struct {
    int side;
    uint32_t width, height;
    uint32_t *x0, *x1, *y0, *y1;
    double *sum;      /* side * side * 3 */
    uint32_t *count;  /* side * side */
} thumb_acc;

static void thumb_range(uint32_t n, int side, int t, uint32_t *from, uint32_t *to) {
    uint32_t a = (uint32_t)(((uint64_t)t * n) / (uint64_t)side);
    uint32_t b = (uint32_t)(((uint64_t)(t + 1) * n) / (uint64_t)side);
    if (a >= n) a = n - 1;
    if (b <= a) b = a + 1;
    *from = a;
    *to = b;
}

static int thumb_start(thumb_acc *acc, int side, uint32_t width, uint32_t height) {
    memset(acc, 0, sizeof *acc);
    acc->side = side;
    acc->width = width;
    acc->height = height;
    acc->x0 = malloc(sizeof(uint32_t) * side * 4);
    acc->sum = calloc((size_t)side * side * 3, sizeof(double));
    acc->count = calloc((size_t)side * side, sizeof(uint32_t));
    if (!acc->x0 || !acc->sum || !acc->count) return 0;
    acc->x1 = acc->x0 + side;
    acc->y0 = acc->x1 + side;
    acc->y1 = acc->y0 + side;
    for (int t = 0; t < side; t++) {
        thumb_range(width, side, t, &acc->x0[t], &acc->x1[t]);
        thumb_range(height, side, t, &acc->y0[t], &acc->y1[t]);
    }
    return 1;
}

/* One RGB row (3 bytes a pixel) of the source, row y. */
static void thumb_row(thumb_acc *acc, uint32_t y, const unsigned char *row) {
    for (int ty = 0; ty < acc->side; ty++) {
        if (y < acc->y0[ty] || y >= acc->y1[ty]) continue;
        for (int tx = 0; tx < acc->side; tx++) {
            double r = 0, g = 0, b = 0;
            for (uint32_t x = acc->x0[tx]; x < acc->x1[tx]; x++) {
                r += row[3 * x];
                g += row[3 * x + 1];
                b += row[3 * x + 2];
            }
            size_t cell = (size_t)ty * acc->side + tx;
            acc->sum[3 * cell] += r;
            acc->sum[3 * cell + 1] += g;
            acc->sum[3 * cell + 2] += b;
            acc->count[cell] += acc->x1[tx] - acc->x0[tx];
        }
    }
}

static void thumb_finish(thumb_acc *acc, unsigned char *rgb) {
    for (int cell = 0; cell < acc->side * acc->side; cell++)
        for (int c = 0; c < 3; c++) {
            double v = acc->count[cell] ? acc->sum[3 * cell + c] / acc->count[cell] : 0;
            rgb[3 * cell + c] = (unsigned char)(v + 0.5);
        }
}

static void thumb_free(thumb_acc *acc) {
    free(acc->x0);
    free(acc->sum);
    free(acc->count);
}

#define LM_THUMB_MAX_INTERLACED (16u << 20)

static int png_thumbnail(const unsigned char *data, size_t size, int side, unsigned char *rgb, lm_image_info *out) {
    png_source source = {data, size, 0, ""};
    /* What a longjmp must free lives behind volatile pointers set before setjmp. */
    unsigned char *volatile pixels = NULL;
    thumb_acc *volatile acc = calloc(1, sizeof(thumb_acc));
    if (!acc) return refuse(out, LM_IMAGE_TOO_LARGE, "there is not enough memory to decode it");
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, png_on_error, png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        free(acc);
        return refuse(out, LM_IMAGE_TOO_LARGE, "there is not enough memory to decode it");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(pixels);
        thumb_free(acc);
        free(acc);
        return refuse(out, LM_IMAGE_CORRUPT, "the image data is damaged (libpng: %s)", source.message);
    }
    png_read_bounded(png, &source);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
    png_read_info(png, info);
    uint32_t width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    out->width = width;
    out->height = height;
    /* Everything to 8-bit RGB: palettes and low-bit grey expanded, 16 bits cut, alpha dropped. */
    png_set_expand(png);
    png_set_strip_16(png);
    png_set_strip_alpha(png);
    png_set_gray_to_rgb(png);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    if (row_bytes != (size_t)width * 3) png_error(png, "unexpected row size after the transforms");
    if (!thumb_start(acc, side, width, height)) png_error(png, "out of memory");
    if (passes > 1) {
        if ((uint64_t)width * height > LM_THUMB_MAX_INTERLACED) {
            png_destroy_read_struct(&png, &info, NULL);
            thumb_free(acc);
            free(acc);
            return refuse(out, LM_IMAGE_TOO_LARGE, "an interlaced PNG of %u x %u pixels is too large to decode whole", width, height);
        }
        pixels = calloc((size_t)height, row_bytes);
        if (!pixels) png_error(png, "out of memory");
        for (int pass = 0; pass < passes; pass++)
            for (uint32_t y = 0; y < height; y++) png_read_row(png, pixels + (size_t)y * row_bytes, NULL);
        for (uint32_t y = 0; y < height; y++) thumb_row(acc, y, pixels + (size_t)y * row_bytes);
    } else {
        pixels = malloc(row_bytes);
        if (!pixels) png_error(png, "out of memory");
        for (uint32_t y = 0; y < height; y++) {
            png_read_row(png, pixels, NULL);
            thumb_row(acc, y, pixels);
        }
    }
    png_destroy_read_struct(&png, &info, NULL);
    thumb_finish(acc, rgb);
    thumb_free(acc);
    free(acc);
    free(pixels);
    return LM_IMAGE_OK;
}

static int jpeg_thumbnail(const unsigned char *data, size_t size, int side, unsigned char *rgb, lm_image_info *out) {
    tjhandle tj = tjInitDecompress();
    if (!tj) return refuse(out, LM_IMAGE_TOO_LARGE, "there is not enough memory to decode it");
    int code = LM_IMAGE_OK;
    unsigned char *pixels = NULL;
    thumb_acc acc;
    memset(&acc, 0, sizeof acc);
    int width = 0, height = 0, subsampling = 0, colorspace = 0;
    if (tjDecompressHeader3(tj, data, (unsigned long)size, &width, &height, &subsampling, &colorspace) != 0) {
        code = refuse(out, LM_IMAGE_CORRUPT, "the decoder reports \"%s\"", jpeg_plain(tjGetErrorStr2(tj)));
        goto done;
    }
    out->width = (uint32_t)width;
    out->height = (uint32_t)height;
    if (width <= 0 || height <= 0 || (uint32_t)width > LM_MAX_SIDE || (uint32_t)height > LM_MAX_SIDE) {
        code = refuse(out, LM_IMAGE_TOO_LARGE, "the image is %d x %d pixels", width, height);
        goto done;
    }
    if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) {
        code = refuse(out, LM_IMAGE_UNSUPPORTED, "a CMYK JPEG has no thumbnail here");
        goto done;
    }
    /* The smallest scale that still gives at least `side` pixels each way (or 1/1). */
    int count = 0;
    tjscalingfactor *factors = tjGetScalingFactors(&count);
    tjscalingfactor chosen = {1, 1};
    for (int i = 0; factors && i < count; i++) {
        tjscalingfactor f = factors[i];
        if (TJSCALED(width, f) >= side && TJSCALED(height, f) >= side &&
            (uint64_t)f.num * chosen.denom < (uint64_t)chosen.num * f.denom)
            chosen = f;
    }
    int sw = TJSCALED(width, chosen), sh = TJSCALED(height, chosen);
    pixels = malloc((size_t)sw * sh * 3);
    if (!pixels || !thumb_start(&acc, side, (uint32_t)sw, (uint32_t)sh)) {
        code = refuse(out, LM_IMAGE_TOO_LARGE, "there is not enough memory to decode it");
        goto done;
    }
    if (tjDecompress2(tj, data, (unsigned long)size, pixels, sw, 0, sh, TJPF_RGB, TJFLAG_LIMITSCANS | TJFLAG_FASTDCT) != 0 &&
        tjGetErrorCode(tj) == TJERR_FATAL) {
        code = refuse(out, LM_IMAGE_CORRUPT, "the decoder reports \"%s\"", jpeg_plain(tjGetErrorStr2(tj)));
        goto done;
    }
    for (int y = 0; y < sh; y++) thumb_row(&acc, (uint32_t)y, pixels + (size_t)y * sw * 3);
    thumb_finish(&acc, rgb);
done:
    thumb_free(&acc);
    free(pixels);
    tjDestroy(tj);
    return code;
}

int lm_thumbnail(const unsigned char *data, size_t size, int side, unsigned char *rgb, lm_image_info *out) {
    memset(out, 0, sizeof *out);
    if (side < 1 || side > 256) return refuse(out, LM_IMAGE_UNSUPPORTED, "a thumbnail side of %d is not 1 to 256", side);
    if (size >= 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0) return png_thumbnail(data, size, side, rgb, out);
    if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return jpeg_thumbnail(data, size, side, rgb, out);
    return refuse(out, LM_IMAGE_UNSUPPORTED, "it is neither a PNG nor a JPEG");
}

#include <signal.h>
#include <spawn.h>

int lm_spawn_piped(char *const argv[], const char *cwd, int *pid_out, int *to_child, int *from_child) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0) return errno;
    if (pipe2(out, O_CLOEXEC) != 0) { int e = errno; close(in[0]); close(in[1]); return e; }
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    if (cwd) posix_spawn_file_actions_addchdir_np(&actions, cwd);
    sigset_t defaults, none;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
    extern char **environ;
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    close(in[0]);
    close(out[1]);
    if (rc != 0) { close(in[1]); close(out[0]); return rc; }
    fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);
    *pid_out = pid;
    *to_child = in[1];
    *from_child = out[0];
    return 0;
}

void lm_ignore_sigpipe(void) {
    signal(SIGPIPE, SIG_IGN);
}
