/// "1 image", "2 images": a count and its noun, for messages.
func counted(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
