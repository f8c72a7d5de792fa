namespace PipeChat.Connections;

/// <summary>Told when a connection has ended and released everything (the server that admitted it).</summary>
internal interface IConnectionOwner<in TConnection>
{
    void OnConnectionClosed(TConnection connection);
}
