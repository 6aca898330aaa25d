"""Training an MLP the way a PyTorch script does it, on a GPU when there is one.

    python examples/train_on_device.py [--device cuda] [--epochs 40]

The script is written against PyTorch's API (`import ember as torch`). What makes it fast on a
GPU is where the data lives: the model and the whole dataset are moved to the device once, the
DataLoader then makes every batch there (Note [Batches of device-resident data]), and the loss is
read back only every few steps, because each read waits for the GPU. The optimizer step and
gradient clipping are multi-tensor kernels that never wait for the device either."""
import argparse

import ember as torch
from ember import data, nn

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
p.add_argument("--epochs", type=int, default=40)
p.add_argument("--log-every", type=int, default=20, help="steps between loss reads (each is a sync on a GPU)")
args = p.parse_args()

torch.manual_seed(0)
X, y = data.load("spirals", seed=0)                       # CPU tensors
model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))
model = model.to(args.device)                             # same initial weights on every device
X, y = X.to(args.device), y.to(args.device)               # the dataset moves once
loader = data.DataLoader(data.TensorDataset(X, y), batch_size=64, shuffle=True)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
criterion = nn.CrossEntropyLoss()

step = 0
for epoch in range(args.epochs):
    for xb, yb in loader:                                 # batches are made on the device
        loss = criterion(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        if step % args.log_every == 0:
            last = loss.item()                            # the only per-step sync, now and then
        step += 1

with torch.no_grad():
    accuracy = (model(X).argmax(dim=1) == y).float().mean().item()
print(f"device {args.device}: {step} steps, last logged loss {last:.4f}, train accuracy {accuracy:.3f}")
