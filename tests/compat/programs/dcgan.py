"""A DCGAN-style step (as pytorch/examples dcgan): ConvTranspose2d generator, Conv2d discriminator,
BatchNorm2d, LeakyReLU, BCELoss, Adam with betas. Images are 8x8 synthetic blobs; noise from NumPy."""

import numpy as np

NZ, NGF, NDF = 8, 16, 16


def run(torch, steps, seed, init=None):
    """Train for `steps` batches; return the discriminator loss on each."""
    nn, optim = torch.nn, torch.optim
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)

    netG = nn.Sequential(
        nn.ConvTranspose2d(NZ, NGF, 4, 1, 0, bias=False),  # 1x1 -> 4x4
        nn.BatchNorm2d(NGF),
        nn.ReLU(True),
        nn.ConvTranspose2d(NGF, 1, 4, 2, 1, bias=False),  # 4x4 -> 8x8
        nn.Tanh(),
    )
    netD = nn.Sequential(
        nn.Conv2d(1, NDF, 4, 2, 1, bias=False),  # 8x8 -> 4x4
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(NDF, 1, 4, 1, 0, bias=False),  # 4x4 -> 1x1
        nn.Sigmoid(),
    )
    if init is not None:
        init(torch, netG)
        init(torch, netD)
    criterion = nn.BCELoss()
    optimizerD = optim.Adam(netD.parameters(), lr=2e-3, betas=(0.5, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))  # D learns faster: its loss falls

    yy, xx = np.mgrid[0:8, 0:8]
    losses = []
    for _ in range(steps):
        cy, cx = rng.uniform(2, 6, (2, 16, 1, 1))
        blobs = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 2.0) * 2 - 1
        real = torch.tensor(blobs[:, None].astype(np.float32))
        batch_size = real.shape[0]

        netD.zero_grad()
        label = torch.full((batch_size,), 1.0)
        output = netD(real).view(-1)
        errD_real = criterion(output, label)
        errD_real.backward()
        noise = torch.tensor(rng.standard_normal((batch_size, NZ, 1, 1)).astype(np.float32))
        fake = netG(noise)
        label.fill_(0.0)
        output = netD(fake.detach()).view(-1)
        errD_fake = criterion(output, label)
        errD_fake.backward()
        optimizerD.step()

        netG.zero_grad()
        label.fill_(1.0)
        errG = criterion(netD(fake).view(-1), label)
        errG.backward()
        optimizerG.step()
        losses.append((errD_real + errD_fake).item())
    return losses
