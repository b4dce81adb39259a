/*
 * bcryptprimitives.dll for Wine releases that lack it (Wine 8.0, Debian 12's): Rust's standard
 * library (since 1.78) takes its random bytes from bcryptprimitives!ProcessPrng, so without this
 * no Rust program starts under such a Wine. It fills the buffer from advapi32!SystemFunction036
 * (RtlGenRandom), which Wine has. `cargo xtask test` builds it with mingw-w64 and puts it in the
 * test prefix only when Wine has no bcryptprimitives.dll of its own.
 */
#include <windows.h>
#define SystemFunction036 NTAPI SystemFunction036
#include <ntsecapi.h>
#undef SystemFunction036

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!RtlGenRandom(data, chunk)) return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
