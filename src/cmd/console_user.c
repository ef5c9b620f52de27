/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos console-user add|remove|list`: manages the console's users file
 * (roles/console/auth.c does the work; this file only reads the words).
 *
 *   int zl_cmd_console_user(int argc, char **argv, char **envp);   (cmd/cmd.h)
 *
 * The password comes from the first line of stdin (echo off when stdin is a
 * terminal), or is generated (18 random bytes, base64url) and printed once
 * on stdout with --generate; it is never taken from the command line, where
 * `ps` would show it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "roles/console/auth.h"

#define DEFAULT_STATE_DIR "zeelos-console" /* console.state.dir's default */

/* The users file `zeelos console` would read with the same environment:
 * $ZEELOS_CONSOLE_USERS, else console.users.file / console.state.dir from
 * their environment variables, else <the default state dir>/users. */
static const char *default_file(char *buf, size_t cap) {
    const char *f = getenv("ZEELOS_CONSOLE_USERS");
    if (!f || !*f) f = getenv("ZEELOS_CONSOLE_USERS_FILE");
    if (f && *f) return f;
    const char *d = getenv("ZEELOS_CONSOLE_STATE_DIR");
    snprintf(buf, cap, "%s/users", d && *d ? d : DEFAULT_STATE_DIR);
    return buf;
}

static void usage(FILE *out) {
    fputs("usage: zeelos console-user add NAME [--role admin|viewer] [--generate] [--file PATH]\n"
          "       zeelos console-user remove NAME [--file PATH]\n"
          "       zeelos console-user list [--file PATH]\n"
          "\n"
          "Manages the users of `zeelos console` (PBKDF2-SHA256 hashes, file mode 0600).\n"
          "add reads the password from the first line of stdin, or with --generate makes one\n"
          "(18 random bytes, base64url) and prints it once on stdout; an existing user is replaced.\n"
          "--role defaults to viewer. --file defaults to $ZEELOS_CONSOLE_USERS, else the console's own:\n"
          "$ZEELOS_CONSOLE_USERS_FILE, else $ZEELOS_CONSOLE_STATE_DIR/users, else " DEFAULT_STATE_DIR "/users.\n",
          out);
}

/* The first line of stdin into pw (without its end of line); false if none
 * or too long. */
static bool read_password(char *pw, size_t cap) {
    struct termios old, quiet;
    bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        fputs("password: ", stderr);
        fflush(stderr);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    bool ok = fgets(pw, (int)cap, stdin) != NULL;
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (!ok) return false;
    size_t l = strcspn(pw, "\r\n");
    if (pw[l] == '\0' && l == cap - 1) return false; /* no end of line within cap */
    pw[l] = '\0';
    return true;
}

int zl_cmd_console_user(int argc, char **argv, char **envp) {
    (void)envp;
    const char *verb = NULL, *name = NULL, *file = NULL, *role_s = "viewer";
    bool generate = false, role_given = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--generate")) {
            generate = true;
        } else if (!strcmp(a, "--role") || !strcmp(a, "--file")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "zeelos console-user: %s needs a value\n", a);
                return 2;
            }
            if (a[2] == 'r') role_s = argv[++i], role_given = true;
            else file = argv[++i];
        } else if (!strncmp(a, "--role=", 7)) {
            role_s = a + 7;
            role_given = true;
        } else if (!strncmp(a, "--file=", 7)) {
            file = a + 7;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "zeelos console-user: unknown option %s\n\n", a);
            usage(stderr);
            return 2;
        } else if (!verb) {
            verb = a;
        } else if (!name) {
            name = a;
        } else {
            usage(stderr);
            return 2;
        }
    }
    char fbuf[4096];
    if (!file || !*file) file = default_file(fbuf, sizeof fbuf);
    char err[512] = "";
    bool add = verb && !strcmp(verb, "add"), remove = verb && !strcmp(verb, "remove"),
         list = verb && !strcmp(verb, "list");
    if (!(add || remove || list) || (list == (name != NULL)) || ((generate || role_given) && !add)) {
        usage(stderr);
        return 2;
    }
    if (list || remove) {
        zl_err_t e = list ? zl_auth_file_list(file, stdout, err, sizeof err) : zl_auth_file_remove(file, name, err, sizeof err);
        if (e) {
            fprintf(stderr, "zeelos console-user: %s\n", err);
            return e == ZL_ERR_INVALID ? 2 : 1;
        }
        if (remove) fprintf(stderr, "zeelos console-user: %s removed from %s\n", name, file);
        return 0;
    }
    zl_role_t role = zl_role_parse(role_s);
    if (role == ZL_ROLE_NONE) {
        fprintf(stderr, "zeelos console-user: --role must be admin or viewer\n");
        return 2;
    }
    if (!zl_auth_name_ok(name)) {
        fprintf(stderr, "zeelos console-user: user names are 1-63 of A-Z a-z 0-9 _ . @ -\n");
        return 2;
    }
    char pw[1024] = "";
    if (generate) {
        if (zl_auth_random_token(18, pw, sizeof pw)) {
            fprintf(stderr, "zeelos console-user: no random bytes\n");
            return 1;
        }
    } else if (!read_password(pw, sizeof pw) || !*pw) {
        explicit_bzero(pw, sizeof pw);
        fprintf(stderr, "zeelos console-user: give the password as the first line of stdin, at most %zu bytes "
                        "(or use --generate)\n", sizeof pw - 2);
        return 2;
    }
    zl_err_t e = zl_auth_file_set(file, name, role, pw, err, sizeof err);
    if (!e && generate) {
        printf("%s\n", pw);
        fflush(stdout);
    }
    explicit_bzero(pw, sizeof pw);
    if (e) {
        fprintf(stderr, "zeelos console-user: %s\n", err);
        return e == ZL_ERR_INVALID ? 2 : 1;
    }
    fprintf(stderr, "zeelos console-user: %s (%s) written to %s\n", name, zl_role_name(role), file);
    return 0;
}
