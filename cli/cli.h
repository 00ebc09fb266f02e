/*
 * cli/cli.h - shared pieces of the ember command.
 */
#ifndef EMBER_CLI_H
#define EMBER_CLI_H

/* Prints "ember: <message>" and a hint to stderr; returns 2 (usage). */
int em_cli_usage(const char *fmt, const char *arg);

/* ember run|check|explain ARGS: returns the exit status. */
int em_cli_job(const char *cmd, int argc, char **argv);

#endif
