import CityStewardApp
import Foundation
import NIOCore
import NIOPosix

// Swift Concurrency's global executor on NIO's event loops: a request's task then runs on the loop that read the
// request instead of moving to Dispatch's threads and back (each move a thread wake-up; on two cores the intake
// spent more on those than on its own work, docs/benchmarks.md). NIO requires this first, on the main thread,
// before any task exists. Nothing here blocks a loop waiting on a future; Bcrypt and SQLite run on thread pools.
NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

#if canImport(Glibc)
import Glibc

// glibc raises its mmap threshold to the size of each large block freed (up to 32 MB), after which such blocks come
// from the heap and stay in the process once freed: each large request (a year's assessment sorts ~900,000 hours)
// left the resident size higher, 80 → 93 → 95 MB over three runs. A fixed threshold keeps blocks over 128 KB mapped
// and returned when freed (peak 81 MB, back to 62 after). MALLOC_MMAP_THRESHOLD_ in the environment still decides.
// (malloc.h is not in the Glibc module: mallopt and M_MMAP_THRESHOLD, -3, as glibc declares them.)
@_silgen_name("mallopt") func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
if getenv("MALLOC_MMAP_THRESHOLD_") == nil { _ = glibcMallopt(-3, 128 * 1024) }
#endif

// Entry point only: everything else lives in CityStewardApp.
exit(await CityStewardMain.run())
