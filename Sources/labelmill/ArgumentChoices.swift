import ArgumentParser
import LabelmillCore

/// The core's choices as option values, so `--help` lists them.
extension TaskKind: ExpressibleByArgument {}
extension ExportFormat: ExpressibleByArgument {}
extension ExportImageMode: ExpressibleByArgument {}
extension ImportFormat: ExpressibleByArgument {}
extension ImportMode: ExpressibleByArgument {}
