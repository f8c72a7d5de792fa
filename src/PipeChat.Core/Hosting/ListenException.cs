namespace PipeChat.Hosting;

/// <summary>The server cannot get the socket it is to serve (exit 1, the message on one line).</summary>
internal sealed class ListenException(string message) : Exception(message);
