/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos console-user add|remove|list`: manages the console's users file
 * (roles/console/auth.c does the work; this file only reads the words).
 * The password comes from the first line of stdin, or is generated and
 * printed once with --generate; it is never taken from the command line,
 * where `ps` would show it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cmd/cmd.h"
#include "roles/console/auth.h"

static void usage(FILE *out) {
    fputs("usage: zeelos console-user add NAME [--role admin|viewer] [--generate] [--file PATH]\n"
          "       zeelos console-user remove NAME [--file PATH]\n"
          "       zeelos console-user list [--file PATH]\n"
          "\n"
          "Manages the users of `zeelos console` (PBKDF2-SHA256 hashes, file mode 0600).\n"
          "add reads the password from the first line of stdin, or with --generate makes one and prints it.\n"
          "--role defaults to viewer. --file defaults to $ZEELOS_CONSOLE_USERS, else zeelos-console/users\n"
          "(the console's default console.state.dir).\n", out);
}

int zl_cmd_console_user(int argc, char **argv, char **envp) {
    (void)envp;
    const char *verb = NULL, *name = NULL, *file = getenv("ZEELOS_CONSOLE_USERS"), *role_s = "viewer";
    bool generate = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--generate")) {
            generate = true;
        } else if ((!strcmp(a, "--role") || !strcmp(a, "--file")) && i + 1 < argc) {
            if (a[2] == 'r') role_s = argv[++i];
            else file = argv[++i];
        } else if (a[0] == '-') {
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
    if (!file || !*file) file = "zeelos-console/users";
    char err[512] = "";
    if (verb && !strcmp(verb, "list") && !name) {
        if (zl_auth_file_list(file, stdout, err, sizeof err)) {
            fprintf(stderr, "zeelos console-user: %s\n", err);
            return 1;
        }
        return 0;
    }
    if (!verb || !name || (strcmp(verb, "add") && strcmp(verb, "remove"))) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(verb, "remove")) {
        if (zl_auth_file_remove(file, name, err, sizeof err)) {
            fprintf(stderr, "zeelos console-user: %s\n", err);
            return 1;
        }
        return 0;
    }
    zl_role_t role = zl_role_parse(role_s);
    if (role == ZL_ROLE_NONE) {
        fprintf(stderr, "zeelos console-user: --role must be admin or viewer\n");
        return 2;
    }
    char pw[512] = "";
    if (generate) {
        unsigned char b[18];
        static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
            fprintf(stderr, "zeelos console-user: no random bytes\n");
            return 1;
        }
        for (size_t i = 0; i < sizeof b; i++) pw[i] = abc[b[i] & 63];
        pw[sizeof b] = '\0';
    } else if (!fgets(pw, sizeof pw, stdin)) {
        fprintf(stderr, "zeelos console-user: give the password on stdin (or --generate)\n");
        return 2;
    }
    pw[strcspn(pw, "\r\n")] = '\0';
    zl_err_t e = zl_auth_file_set(file, name, role, pw, err, sizeof err);
    if (!e && generate) printf("%s\n", pw);
    memset(pw, 0, sizeof pw);
    if (e) {
        fprintf(stderr, "zeelos console-user: %s\n", err);
        return e == ZL_ERR_INVALID ? 2 : 1;
    }
    fprintf(stderr, "zeelos console-user: %s (%s) written to %s\n", name, zl_role_name(role), file);
    return 0;
}
