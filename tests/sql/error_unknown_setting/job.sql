SET batch_intervl = '1s';
