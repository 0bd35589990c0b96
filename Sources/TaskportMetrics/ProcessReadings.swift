import Foundation

/// The process's resident memory and open file descriptors, from `/proc` where there is one.
struct ProcessReadings {
    var residentBytes: Int?
    var openFiles: Int?

    static func now() -> ProcessReadings {
        #if os(Linux)
        // statm: total and resident sizes in pages.
        let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
        let pages = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.count
        return ProcessReadings(residentBytes: pages.map { $0 * Int(sysconf(Int32(_SC_PAGESIZE))) }, openFiles: files)
        #else
        return ProcessReadings(residentBytes: nil, openFiles: nil)
        #endif
    }
}
