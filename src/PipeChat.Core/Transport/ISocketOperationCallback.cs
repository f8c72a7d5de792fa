namespace PipeChat.Transport;

/// <summary>Told when an operation started in callback mode completes asynchronously.</summary>
internal interface ISocketOperationCallback
{
    void OnOperationCompleted(AwaitableSocketEventArgs operation);
}
