/* test_plot.c — ns_plot_lines writes real 800x600 PNGs (with data, axes and labels drawn)
 * and SVGs, atomically and silently, several per process; bad input fails cleanly. */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <png.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "test_files.h"
#include "nucseg/fsutil.h"
#include "nucseg/plot.h"

static char dir[] = "/tmp/nucseg_plot_XXXXXX";

typedef struct {
    int w, h;
    uint8_t *rgb; /* w*h*3 */
} rgb_image;

/* Decode a PNG into 8-bit RGB with libpng's simplified API. */
static int read_png(const char *path, rgb_image *out)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path)) return 0;
    img.format = PNG_FORMAT_RGB;
    out->w = (int)img.width;
    out->h = (int)img.height;
    out->rgb = malloc(PNG_IMAGE_SIZE(img));
    if (!out->rgb || !png_image_finish_read(&img, NULL, out->rgb, 0, NULL)) {
        png_image_free(&img);
        free(out->rgb);
        return 0;
    }
    return 1;
}

/* Pixels in the rectangle close to colour (r,g,b). */
static long count_colour(const rgb_image *im, int x0, int y0, int x1, int y1, int r, int g, int b, int tol)
{
    long n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            const uint8_t *p = im->rgb + 3 * ((size_t)y * im->w + x);
            if (abs(p[0] - r) <= tol && abs(p[1] - g) <= tol && abs(p[2] - b) <= tol) n++;
        }
    return n;
}

static long dark_pixels(const rgb_image *im, int x0, int y0, int x1, int y1)
{
    long n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            const uint8_t *p = im->rgb + 3 * ((size_t)y * im->w + x);
            if (p[0] < 100 && p[1] < 100 && p[2] < 100) n++;
        }
    return n;
}

static int file_starts_with(const char *path, const char *prefix, size_t n)
{
    char buf[512] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    if (prefix[0] == '<') return strstr(buf, prefix) != NULL; /* SVG: after the XML prolog */
    return got >= n && memcmp(buf, prefix, n) == 0;
}

static int count_entries(const char *d)
{
    int n = 0;
    DIR *dd = opendir(d);
    for (struct dirent *e; dd && (e = readdir(dd));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (dd) closedir(dd);
    return n;
}

static void test_speedup_plot(void)
{
    double n[] = {1, 2, 4, 8}, s[] = {0.98, 1.9, 3.5, 5.9}, lo[] = {0.95, 1.8, 3.3, 5.5},
           hi[] = {1.0, 1.95, 3.6, 6.2}, ideal[] = {1, 2, 4, 8};
    ns_series series[] = {
        {.label = "measured", .x = n, .y = s, .n = 4, .style = NS_STYLE_LINE_POINTS, .y_lo = lo, .y_hi = hi},
        {.label = "ideal (linear)", .x = n, .y = ideal, .n = 4, .style = NS_STYLE_DASHED},
    };
    ns_plot_spec spec = {.title = "Speedup vs workers", .xlabel = "workers", .ylabel = "speedup",
                         .y_from_zero = 1, .x_tick = 1};
    char *base = ns_path_join(dir, "speedup");
    ns_error err;

    /* nothing may reach stdout or stderr during a normal plot */
    char *log = ns_path_join(dir, "..plot_output.log");
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    ns_status st = ns_plot_lines(base, &spec, series, 2, &err);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    close(fd);
    CHECK_OK(st, err);
    struct stat sb;
    CHECK(stat(log, &sb) == 0 && sb.st_size == 0);
    unlink(log);
    free(log);

    char *png = ns_path_join(dir, "speedup.png"), *svg = ns_path_join(dir, "speedup.svg");
    CHECK(file_starts_with(png, "\x89PNG\r\n\x1a\n", 8));
    CHECK(file_starts_with(svg, "<svg", 4));
    rgb_image im = {0};
    CHECK(read_png(png, &im));
    if (im.rgb) {
        CHECK(im.w == 800 && im.h == 600);
        /* white background */
        CHECK(count_colour(&im, 0, 0, im.w, im.h, 255, 255, 255, 0) > (long)im.w * im.h / 2);
        /* the first series' colour (Tableau blue) and the second's (orange) are drawn */
        CHECK(count_colour(&im, 0, 0, im.w, im.h, 31, 119, 180, 30) > 200);
        CHECK(count_colour(&im, 0, 0, im.w, im.h, 255, 127, 14, 30) > 100);
        /* a title above the frame, a y label left of it, an x label and tick labels below */
        CHECK(dark_pixels(&im, 0, 0, im.w, 50) > 100);
        CHECK(dark_pixels(&im, 0, 60, 45, 540) > 50);
        CHECK(dark_pixels(&im, 100, 540, 760, 600) > 100);
        free(im.rgb);
    }
    free(png);
    free(svg);
    free(base);
}

static void test_many_plots_log_axes_and_gaps(void)
{
    /* Several plots in a row, log axes, a NAN gap, a single-point series. */
    double x[] = {512, 1024, 2048, 4096}, y[] = {0.1, NAN, 1.5, 6.0}, one_x[] = {1024}, one_y[] = {2};
    ns_series series[] = {
        {.label = "time", .x = x, .y = y, .n = 4},
        {.label = "one point", .x = one_x, .y = one_y, .n = 1, .style = NS_STYLE_POINTS},
        {.label = "empty", .x = x, .y = y, .n = 0},
    };
    ns_plot_spec spec = {.title = "Log-log", .xlabel = "width (px)", .ylabel = "seconds", .logx = 1, .logy = 1};
    ns_error err;
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "loglog%d", i);
        char *base = ns_path_join(dir, name);
        CHECK_OK(ns_plot_lines(base, &spec, series, 3, &err), err);
        char png[4200];
        snprintf(png, sizeof png, "%s.png", base);
        rgb_image im = {0};
        CHECK(read_png(png, &im));
        if (im.rgb) {
            CHECK(count_colour(&im, 0, 0, im.w, im.h, 31, 119, 180, 30) > 100);
            free(im.rgb);
        }
        free(base);
    }
    /* 3 plots x 2 formats, and no temporary file left behind */
    CHECK(count_entries(dir) == 2 + 6);
}

static void test_errors(void)
{
    double x[] = {1, 2}, y[] = {0, 1}, nan2[] = {NAN, NAN};
    ns_series s = {.label = "zero", .x = x, .y = y, .n = 2};
    ns_plot_spec logy = {.title = "t", .xlabel = "x", .ylabel = "y", .logy = 1};
    ns_error err;
    char *base = ns_path_join(dir, "bad");
    CHECK(ns_plot_lines(base, &logy, &s, 1, &err) == NS_ERR_INVALID);
    CHECK(strstr(err.message, "bad") != NULL && strstr(err.message, "log") != NULL);

    ns_series empty = {.label = "nan", .x = x, .y = nan2, .n = 2};
    ns_plot_spec lin = {.title = "t", .xlabel = "x", .ylabel = "y"};
    CHECK(ns_plot_lines(base, &lin, &empty, 1, &err) == NS_ERR_EMPTY);
    CHECK(!ns_file_exists(base));

    ns_status st = ns_plot_lines("/nonexistent_dir_nucseg/plot", &lin, &s, 1, &err);
    CHECK(st == NS_ERR_IO);
    CHECK(strstr(err.message, "/nonexistent_dir_nucseg/plot.png") != NULL);
    free(base);
}

static void cleanup(void)
{
    test_remove_dir(dir);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_speedup_plot);
    RUN(test_many_plots_log_axes_and_gaps);
    RUN(test_errors);
    cleanup();
    return check_report();
}
