namespace PipeChat.Connections;

/// <summary>What a server needs of an open connection to shut down.</summary>
internal interface IDrainable
{
    /// <summary>Take no more input; answer what was read, flush, close.</summary>
    void StopReceiving();

    /// <summary>Close now.</summary>
    void Abort();
}
