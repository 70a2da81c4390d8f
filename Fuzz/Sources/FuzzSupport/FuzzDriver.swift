import CLibFuzzer
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One fuzz target: a name (its corpus folder) and the function libFuzzer calls per input.
public struct FuzzTarget: Sendable {
    public var name: String
    public var run: @Sendable (UnsafeRawBufferPointer) -> Void
    /// Seed inputs generated from the real code paths (written by `seeds`).
    public var seeds: @Sendable () -> [[UInt8]]

    public init(name: String, seeds: @escaping @Sendable () -> [[UInt8]], run: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) {
        self.name = name
        self.run = run
        self.seeds = seeds
    }
}

/// The target libFuzzer's C callback dispatches to; set once before the driver starts.
nonisolated(unsafe) private var selected: FuzzTarget?

/// `PROGRAM TARGET [libFuzzer flags and corpus dirs]`: runs libFuzzer on TARGET (fuzz builds),
/// or, in a normal build, runs TARGET once on every file given (a regression replay).
/// `PROGRAM seeds DIR` writes each target's generated seeds to DIR/TARGET/.
/// `PROGRAM list` prints the target names.
public func fuzzMain(_ targets: [FuzzTarget]) -> Never {
    var arguments = CommandLine.arguments
    guard arguments.count >= 2 else {
        FileHandle.standardError.write(Data("usage: \(arguments[0]) TARGET|seeds DIR|list [args]\n".utf8))
        exit(2)
    }
    let command = arguments.remove(at: 1)
    switch command {
    case "list":
        for target in targets { print(target.name) }
        exit(0)
    case "seeds":
        guard arguments.count == 2 else { exit(2) }
        writeSeeds(targets, into: arguments[1])
        exit(0)
    default:
        guard let target = targets.first(where: { $0.name == command }) else {
            FileHandle.standardError.write(Data("unknown target \(command)\n".utf8))
            exit(2)
        }
        selected = target
        #if FUZZING
        exit(runLibFuzzer(arguments))
        #else
        exit(replay(target, paths: Array(arguments.dropFirst())))
        #endif
    }
}

#if FUZZING
private func runLibFuzzer(_ arguments: [String]) -> Int32 {
    var argc = Int32(arguments.count)
    var cStrings: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    return cStrings.withUnsafeMutableBufferPointer { buffer -> Int32 in
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
        return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            selected!.run(UnsafeRawBufferPointer(start: data, count: size))
            return 0
        }
    }
}

/// Never called: the program's own main runs the driver. libFuzzer's runtime archive still
/// holds its `main`, whose object the linker may pull in, and that references this symbol.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    selected?.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#endif

/// Runs the target once per file (folders: every file inside); a failed invariant traps.
private func replay(_ target: FuzzTarget, paths: [String]) -> Int32 {
    var files: [String] = []
    for path in paths {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
        if isDirectory.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            files += names.sorted().map { path + "/" + $0 }
        } else {
            files.append(path)
        }
    }
    for file in files {
        guard let data = FileManager.default.contents(atPath: file) else { continue }
        data.withUnsafeBytes { target.run($0) }
    }
    print("\(target.name): replayed \(files.count) inputs")
    return 0
}

private func writeSeeds(_ targets: [FuzzTarget], into directory: String) {
    for target in targets {
        let folder = directory + "/" + target.name
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for seed in target.seeds() {
            // Named by content like libFuzzer's own files, so rerunning adds nothing twice.
            let path = folder + "/seed-" + fnv1a(seed)
            _ = FileManager.default.createFile(atPath: path, contents: Data(seed))
        }
        print("\(target.name): \(target.seeds().count) seeds")
    }
}

private func fnv1a(_ bytes: [UInt8]) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
        hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
    }
    return String(hash, radix: 16)
}

/// A failed invariant: report it and abort, so libFuzzer saves the input as a crash. Inlined
/// into the targets: as a call with two closure contexts it was a few percent of the frame
/// decoder's time, which checks after every read.
@inlinable @inline(__always)
public func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                      file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { invariantFailed(message(), file: file, line: line) }
}

@usableFromInline
func invariantFailed(_ message: String, file: StaticString, line: UInt) -> Never {
    FileHandle.standardError.write(Data("invariant failed at \(file):\(line): \(message)\n".utf8))
    abort()
}

/// Whether two byte sequences are equal, by `memcmp`: the fuzz build traces every comparison
/// of an element-wise loop, which made such checks most of a target's time.
public func sameBytes(_ a: some ContiguousBytes, _ b: some ContiguousBytes) -> Bool {
    a.withUnsafeBytes { a in
        b.withUnsafeBytes { b in
            a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
        }
    }
}

/// Reads an input front to back: a few control bytes, then the rest.
public struct FuzzInput {
    private let bytes: UnsafeRawBufferPointer
    private var index = 0

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    public var remainingCount: Int { bytes.count - index }

    /// The next byte, or 0 once the input is used up.
    public mutating func byte() -> UInt8 {
        guard index < bytes.count else { return 0 }
        defer { index += 1 }
        return bytes[index]
    }

    /// Up to `count` next bytes.
    public mutating func take(_ count: Int) -> UnsafeRawBufferPointer {
        let end = min(bytes.count, index + max(0, count))
        defer { index = end }
        return UnsafeRawBufferPointer(rebasing: bytes[index..<end])
    }

    public mutating func rest() -> UnsafeRawBufferPointer {
        take(remainingCount)
    }
}
