import Logging

/// A logger for the command: plain lines on stderr with metadata as key=value.
func makeLogger(label: String, verbose: Bool) -> Logger {
    var logger = Logger(label: label) { label in StderrLogHandler(label: label) }
    logger.logLevel = verbose ? .debug : .info
    return logger
}

struct StderrLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let meta = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        FileHandleStderr.write("\(event.level): \(event.message)\(meta.isEmpty ? "" : " [\(meta)]")\n")
    }
}
