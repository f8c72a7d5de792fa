namespace PipeChat.Protocols.Chat;

/// <summary>
/// The sleeping readers of a room, woken all at once, saying how many there were: a room whose wake-ups find most
/// of its readers still busy with the last lines cannot deliver at the pace it wakes them (see
/// <see cref="LineRateWindow.OnWake"/>).
/// </summary>
internal interface ISleeperGroup : IWakeable
{
    /// <summary>Wakes every sleeper; returns how many there were.</summary>
    int WakeAll();
}
