namespace PipeChat.Servers;

/// <summary>The built-in ways a server serves many clients (docs/architecture.md), by name; <see cref="ModelRegistry.Of"/> gives their servers.</summary>
public enum ConnectionModel
{
    /// <summary>One client at a time; the next waits in the backlog (socketserver.TCPServer).</summary>
    Iterative,

    /// <summary>One dedicated OS thread per connection, blocking I/O (ThreadingMixIn).</summary>
    Threads,

    /// <summary>Async I/O on SocketAsyncEventArgs and System.IO.Pipelines; no thread per connection.</summary>
    Async,
}
