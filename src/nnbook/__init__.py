"""nnbook: the tested reference code of the book *Neural Networks, from One Neuron to Many Devices*."""

__version__ = "0.1.0"
