/* Provider isolation where every cap is composed in (the wasi:http interpreter): a trap
 * in a provider ends the whole instance, which serves one request, so no call ever
 * returns from a crashed provider and there is nothing to report. */
int pylon_cap_crashed(void) {
    return 0;
}
