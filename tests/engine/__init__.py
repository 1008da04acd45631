"""The engine on its own: maths, kernels, workspaces."""
