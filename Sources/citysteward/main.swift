import CityStewardApp
import Foundation
import NIOCore
import NIOPosix

// Swift Concurrency's global executor on NIO's event loops: a request's task then runs on the loop that read the
// request instead of moving to Dispatch's threads and back (each move a thread wake-up; on two cores the intake
// spent more on those than on its own work, docs/benchmarks.md). NIO requires this first, on the main thread,
// before any task exists. Nothing here blocks a loop waiting on a future; Bcrypt and SQLite run on thread pools.
NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

// Entry point only: everything else lives in CityStewardApp.
exit(await CityStewardMain.run())
