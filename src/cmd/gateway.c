/* `zeelos gateway`: runs one gateway until SIGINT/SIGTERM. */
#include <signal.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "roles/gateway/gateway.h"
#include "common/conf.h"
#include "common/log.h"

/* The one process-wide pointer: signal handlers cannot take a context. */
static zl_gw_t *running_gw;

static void on_signal(int sig) {
    (void)sig;
    if (running_gw) zl_gw_stop(running_gw);
}

int zl_cmd_gateway(int argc, char **argv, char **envp) {
    int status;
    zl_conf_t *conf = zl_conf_setup("gateway", argc, argv, envp, NULL, 0, NULL, &status);
    if (!conf) return status;
    char err[512] = "";
    zl_gw_t *gw = zl_gw_new(conf, err, sizeof err);
    if (!gw) {
        ZL_ERROR("gateway", "cannot start: %s", err);
        zl_conf_destroy(conf);
        return 1;
    }
    running_gw = gw;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int rc = zl_gw_run(gw);
    running_gw = NULL;
    zl_gw_destroy(gw);
    zl_conf_destroy(conf);
    return rc;
}
